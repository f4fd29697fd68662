"""The one table view helper (ui/owned.py) and template (ui/_table.html), as every owner's
table uses them: the watchlist keeps its own DOM ids and label column, the others theirs,
and the cached chips, head and pager are each owner's own."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitors.models import Finding, Monitor, Scope
from tests.builders import make_execution, watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db


def make_monitor(name):
    return Monitor.objects.create(name=name, scope=Scope.EVERYTHING, start_at=timezone.now())


def find(monitor, execution):
    Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now() - timedelta(minutes=5))


def test_the_watchlist_and_a_monitor_render_the_one_template_with_their_own_ids(owner_client, owner):
    watch(owner, name="Watched", status="failed", is_failing=True, label="vip")
    monitor = make_monitor("Everything")
    find(monitor, make_execution(name="Found", status="failed", is_failing=True))

    mine = owner_client.get(reverse("executions:watchlist_rows"), headers=HTMX)
    assert "ui/_table.html" in [t.name for t in mine.templates]
    html = mine.content.decode()
    for dom_id in ("watchlist-poller", "watchlist-reloader", "watchlist-state", "watch-table", "watch-rows",
                   "sort-label"):
        assert f'id="{dom_id}"' in html, dom_id
    assert 'hx-trigger="watches-changed from:body"' in html

    found = owner_client.get(reverse("monitors:rows", args=[monitor.pk]), headers=HTMX)
    assert "ui/_table.html" in [t.name for t in found.templates]
    html = found.content.decode()
    for dom_id in ("executions-poller", "executions-state", "executions-table", "execution-rows"):
        assert f'id="{dom_id}"' in html, dom_id
    # No label column and no reload on the watchlist's event: a monitor's rows have no label.
    assert 'id="sort-label"' not in html and "reloader" not in html


def test_two_owners_with_the_same_counts_never_share_cached_chips_head_or_pager(owner_client):
    first, second = make_monitor("First"), make_monitor("Second")
    find(first, make_execution(name="One", status="failed", is_failing=True))
    find(second, make_execution(name="Two", status="failed", is_failing=True))
    for monitor in (first, second):
        html = owner_client.get(reverse("monitors:detail", args=[monitor.pk])).content.decode()
        page = reverse("monitors:detail", args=[monitor.pk])
        # Chips, sort links and the page-size form all point at this monitor's page.
        assert re.search(rf'id="chip-failing" href="{page}\?status=failing"', html)
        assert re.search(rf'id="sort-name" href="{page}\?sort=name"', html)
        assert f'class="page-size" method="get" action="{page}"' in html


def test_an_empty_table_says_what_its_owner_declared(owner_client, owner):
    monitor = make_monitor("Nothing yet")
    html = owner_client.get(reverse("monitors:rows", args=[monitor.pk]), headers=HTMX).content.decode()
    assert re.search(r'id="executions-empty">Nothing found yet\.', html)
    html = owner_client.get(reverse("executions:watchlist_rows"), headers=HTMX).content.decode()
    assert re.search(r'id="watch-empty">Nothing watched yet\.', html)


def test_a_refresh_showing_the_same_page_is_answered_204_by_every_table(owner_client, owner):
    watch(owner, name="Watched")
    monitor = make_monitor("Everything")
    find(monitor, make_execution(name="Found"))
    for page, rows in ((reverse("executions:watchlist"), reverse("executions:watchlist_rows")),
                       (reverse("monitors:detail", args=[monitor.pk]), reverse("monitors:rows", args=[monitor.pk]))):
        known = re.search(r'"known": "([0-9a-f]+)"', owner_client.get(page).content.decode()).group(1)
        assert owner_client.get(rows, {"known": known}, headers=HTMX).status_code == 204
        # The user's own filter change is answered, and the address bar follows it.
        changed = owner_client.get(rows, {"status": "failing"}, headers=HTMX)
        assert changed.status_code == 200 and changed["HX-Push-Url"] == f"{page}?status=failing"
