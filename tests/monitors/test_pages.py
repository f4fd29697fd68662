"""The monitors page, a monitor's executions, and the overview: access, actions, data."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitors.models import Finding, Monitor, Scope, Subscription
from simulator import stories
from tests.builders import make_execution, watch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


def grant(user, *actions):
    # Managing monitors is one permission, the Admin role's; `actions` name what the test does.
    user.user_permissions.add(Permission.objects.get(codename="manage_monitors"))
    # Permissions are cached on the user object.
    return type(user).objects.get(pk=user.pk)


def make_monitor(name="All", **fields):
    values = {"scope": Scope.EVERYTHING, "start_at": timezone.now()}
    values.update(fields)
    return Monitor.objects.create(name=name, **values)


def find(monitor, *executions, ago=timedelta(minutes=5)):
    for execution in executions:
        Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now() - ago)


def test_every_page_needs_a_login(client):
    monitor = make_monitor()
    for url in [reverse("monitors:overview"), reverse("monitors:list"), reverse("monitors:new"),
                reverse("monitors:detail", args=[monitor.pk]), reverse("monitors:rows", args=[monitor.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.post(reverse("monitors:delete", args=[monitor.pk])).status_code == 302
    assert Monitor.objects.exists()


def test_login_lands_on_the_overview_linked_first_in_the_nav(client, owner):
    from tests.fixtures.users import PASSWORD

    response = client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert response["Location"] == reverse("monitors:overview")
    page = client.get(reverse("monitors:overview")).content.decode()
    nav = page[page.index("<nav"):page.index("</nav>")]
    assert nav.index("Overview") < nav.index("Watchlist") < nav.index("Monitors")
    assert client.get("/").status_code == 200  # the watchlist stays at /


def test_everyone_sees_monitors_but_only_the_permitted_change_them(client, owner, other_user):
    monitor = make_monitor("Everything we run")
    client.force_login(other_user)
    page = client.get(reverse("monitors:list")).content.decode()
    assert "Everything we run" in page and "New monitor" not in page and "Delete" not in page
    assert client.get(reverse("monitors:new")).status_code == 403
    assert client.post(reverse("monitors:new"), {"scope": "everything"}).status_code == 403
    assert client.post(reverse("monitors:pause", args=[monitor.pk])).status_code == 403
    assert client.post(reverse("monitors:delete", args=[monitor.pk])).status_code == 403
    assert client.get(reverse("monitors:edit", args=[monitor.pk])).status_code == 403
    monitor.refresh_from_db()
    assert not monitor.paused

    admin = grant(owner, "add", "change", "delete")
    client.force_login(admin)
    page = client.get(reverse("monitors:list")).content.decode()
    assert "New monitor" in page and "Delete" in page
    assert client.post(reverse("monitors:pause", args=[monitor.pk])).status_code == 302
    monitor.refresh_from_db()
    assert monitor.paused
    assert client.post(reverse("monitors:delete", args=[monitor.pk])).status_code == 302
    assert not Monitor.objects.exists()


def test_creating_a_monitor_checks_the_blueprint_and_subscribes_its_creator(client, owner, simulator):
    admin = grant(owner, "add")
    client.force_login(admin)
    response = client.post(reverse("monitors:new"), {"scope": "blueprint", "blueprint_uuid": "not-a-uuid"})
    assert "Not a valid blueprint UUID" in response.content.decode()
    unknown = "0b7f3a55-1111-4222-8333-444455556666"
    response = client.post(reverse("monitors:new"), {"scope": "blueprint", "blueprint_uuid": unknown})
    assert f"Plannr has no blueprint {unknown}." in response.content.decode()
    assert not Monitor.objects.exists()

    blueprint = stories.BLUEPRINTS[1]
    response = client.post(
        reverse("monitors:new"),
        {"scope": "blueprint", "blueprint_uuid": blueprint.uuid, "backfill_days": "2", "triggered_by": "review.due"},
    )
    monitor = Monitor.objects.get()
    assert response["Location"] == reverse("monitors:detail", args=[monitor.pk])
    assert monitor.name == blueprint.name and monitor.backfill_days == 2 and monitor.triggered_by == ["review.due"]
    assert Subscription.objects.filter(monitor=monitor, user=owner, muted=False).exists()
    page = client.get(response["Location"]).content.decode()
    assert blueprint.trigger in page and all(step.name in page for step in blueprint.steps)


def test_forms_and_htmx_posts_need_the_csrf_token(owner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(grant(owner, "add", "change"))
    monitor = make_monitor()
    assert strict.post(reverse("monitors:new"), {"scope": "everything"}).status_code == 403
    assert strict.post(reverse("monitors:pause", args=[monitor.pk]), HTTP_HX_REQUEST="true").status_code == 403
    assert strict.post(reverse("monitors:subscription", args=[monitor.pk]), {"action": "subscribe"}).status_code == 403
    assert Monitor.objects.count() == 1 and not Subscription.objects.exists()


def test_pause_until_a_time_and_resume(client, owner):
    client.force_login(grant(owner, "change"))
    monitor = make_monitor()
    until = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("monitors:pause", args=[monitor.pk]), {"until": until}, HTTP_HX_REQUEST="true")
    assert "paused until" in response.content.decode()
    monitor.refresh_from_db()
    assert not monitor.paused and monitor.is_paused(timezone.now()) and not monitor.is_paused(timezone.now() + timedelta(hours=3))
    response = client.post(reverse("monitors:pause", args=[monitor.pk]), {"until": "next tuesday"}, HTTP_HX_REQUEST="true")
    assert "Give the end of the pause as a date and time" in response.content.decode()
    client.post(reverse("monitors:resume", args=[monitor.pk]))
    monitor.refresh_from_db()
    assert not monitor.is_paused(timezone.now())


def test_subscribe_mute_and_unsubscribe_are_each_users_own(client, other_user):
    monitor = make_monitor()
    client.force_login(other_user)
    url = reverse("monitors:subscription", args=[monitor.pk])
    client.post(url, {"action": "subscribe"})
    client.post(url, {"action": "mute"})
    assert Subscription.objects.get(user=other_user).muted
    client.post(url, {"action": "unsubscribe"})
    assert not Subscription.objects.exists()


def test_the_monitors_page_shows_scope_last_sweep_lag_and_24_hour_counts(client, owner):
    monitor = make_monitor("Clients A", scope=Scope.CLIENTS, client_uuids=["a", "b"], lag_seconds=7200,
                           last_swept_at=timezone.now())
    find(monitor, make_execution(), make_execution(is_failing=True), make_execution(is_finished=True, status="completed"))
    find(monitor, make_execution(is_finished=True, status="completed"), ago=timedelta(days=2))
    client.force_login(owner)
    page = client.get(reverse("monitors:list")).content.decode()
    row = page[page.index(f'id="monitor-{monitor.pk}"'):]
    row = row[:row.index("</tr>")]
    assert "2 clients" in row and "2 h behind" in row and "just now" in row
    for cls, n in [("count-new", 3), ("count-running", 2), ("count-finished", 1)]:
        assert f'class="{cls}">{n}<' in row
    assert '<strong class="failure-text">1</strong>' in row


def test_a_monitors_executions_list_failing_first_then_running_then_the_rest_newest_first(client, owner):
    monitor = make_monitor()
    now = timezone.now()
    done_new = make_execution(name="done new", status="completed", is_finished=True, remote_created_at=now)
    running_old = make_execution(name="running old", remote_created_at=now - timedelta(hours=2))
    failing_old = make_execution(name="failing old", status="failed", is_failing=True, is_finished=True,
                                 remote_created_at=now - timedelta(hours=3))
    running_new = make_execution(name="running new", remote_created_at=now - timedelta(minutes=1))
    find(monitor, done_new, running_old, failing_old, running_new)
    make_execution(name="not found by it")
    client.force_login(owner)

    page = client.get(reverse("monitors:detail", args=[monitor.pk])).content.decode()
    order = [page.index(n) for n in ("failing old", "running new", "running old", "done new")]
    assert order == sorted(order) and "not found by it" not in page

    rows = client.get(reverse("monitors:rows", args=[monitor.pk]), {"q": "running", "sort": "name"},
                      HTTP_HX_REQUEST="true")
    body = rows.content.decode()
    assert body.index("running new") < body.index("running old") and "done new" not in body
    assert rows["HX-Push-Url"] == reverse("monitors:detail", args=[monitor.pk]) + "?q=running&sort=name"
    failing = client.get(reverse("monitors:rows", args=[monitor.pk]), {"status": "failing"}, HTTP_HX_REQUEST="true")
    assert "failing old" in failing.content.decode() and "running new" not in failing.content.decode()


def test_the_live_refresh_answers_204_until_something_changes(client, owner):
    monitor = make_monitor()
    execution = make_execution()
    find(monitor, execution)
    client.force_login(owner)
    url = reverse("monitors:rows", args=[monitor.pk])
    body = client.get(reverse("monitors:detail", args=[monitor.pk])).content.decode()
    known = body.split('"known": "')[1].split('"')[0]
    assert client.get(url, {"known": known}, HTTP_HX_REQUEST="true").status_code == 204
    execution.status, execution.is_failing, execution.version = "failed", True, execution.version + 1
    execution.save()
    response = client.get(url, {"known": known}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Push-Url" not in response and 'data-status="failed"' in response.content.decode()


def test_the_executions_list_runs_a_constant_number_of_queries(client, owner):
    monitor = make_monitor()
    client.force_login(owner)
    url = reverse("monitors:rows", args=[monitor.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        return len(captured)

    find(monitor, *[make_execution() for _ in range(3)])
    few = queries()
    find(monitor, *[make_execution(is_failing=True) for _ in range(40)])
    assert queries() == few


def test_an_execution_a_monitor_found_is_visible_to_everyone_a_watched_one_only_to_its_watcher(client, owner, other_user):
    found = make_execution(name="found by a monitor")
    find(make_monitor(), found)
    private = watch(owner, name="owner's own").execution
    client.force_login(other_user)
    page = client.get(reverse("executions:detail", args=[found.uuid]))
    assert page.status_code == 200 and 'id="unwatch"' not in page.content.decode()
    assert client.get(reverse("executions:live", args=[found.uuid])).status_code == 200
    assert client.get(reverse("executions:detail", args=[private.uuid])).status_code == 404
    assert client.post(reverse("executions:unwatch", args=[found.uuid])).status_code == 404

    overview = client.get(reverse("monitors:overview")).content.decode()
    assert "found by a monitor" in overview and "owner's own" not in overview


def test_the_overview_shows_failing_running_sweeps_and_poll_health(client, owner):
    monitor = make_monitor("Everything", last_swept_at=timezone.now(), last_sweep_error="Plannr server error (500)")
    now = timezone.now()
    failing = make_execution(name="Chase KYC", status="failed", is_failing=True, is_finished=True,
                             failure_message="Send SMS: no phone number", remote_updated_at=now)
    running = make_execution(name="Annual review", remote_created_at=now)
    old_failure = make_execution(name="Ancient failure", is_failing=True, remote_updated_at=now - timedelta(days=3))
    find(monitor, failing, running, old_failure)
    make_execution(name="Overdue", next_poll_at=now - timedelta(hours=1), poll_state="server_error")
    client.force_login(owner)
    page = client.get(reverse("monitors:overview")).content.decode()
    failing_section = page[page.index('id="failing-now"'):page.index('id="running-now"')]
    assert "Chase KYC" in failing_section and "no phone number" in failing_section
    assert "Ancient failure" not in failing_section
    assert "Annual review" in page[page.index('id="running-now"'):page.index('id="sweeps"')]
    assert "sweep failed" in page
    health = page[page.index('id="poll-health"'):]
    assert "Plannr server error" in health and '<span class="poll-trouble">1</span>' in health

    known = page.split('"known": "')[1].split('"')[0]
    live = reverse("monitors:overview_live")
    assert client.get(live, {"known": known}, HTTP_HX_REQUEST="true").status_code == 204
    running.status, running.is_failing, running.remote_updated_at, running.version = "failed", True, now, 9
    running.save()
    assert client.get(live, {"known": known}, HTTP_HX_REQUEST="true").status_code == 200


def test_failing_first_pages_run_across_the_groups_without_gaps_or_repeats(client, owner, settings):
    settings.WATCHLIST_PAGE_SIZE = 2
    monitor = make_monitor()
    made = [make_execution(name=f"failing {i}", is_failing=True, is_finished=True) for i in range(3)]
    made += [make_execution(name=f"running {i}") for i in range(2)]
    made += [make_execution(name="done 0", is_finished=True, status="completed")]
    for i, execution in enumerate(made):
        find(monitor, execution, ago=timedelta(minutes=60 - i))  # later made, later found
    client.force_login(owner)
    pages = []
    for page in (1, 2, 3):
        text = client.get(reverse("monitors:rows", args=[monitor.pk]), {"page": page}, HTTP_HX_REQUEST="true").content.decode()
        pages.append(sorted((text.index(f'data-uuid="{e.uuid}"'), e.name) for e in made if f'data-uuid="{e.uuid}"' in text))
    assert [[name for _, name in p] for p in pages] == [
        ["failing 2", "failing 1"], ["failing 0", "running 1"], ["running 0", "done 0"],
    ]


def test_each_monitors_filters_sorts_and_pages_link_to_that_monitor(client, owner, settings):
    # The controls are cached HTML: two monitors with the same counts must not share them.
    settings.WATCHLIST_PAGE_SIZE = 25
    first, second = make_monitor("First"), make_monitor("Second")
    find(first, *[make_execution() for _ in range(30)])
    find(second, *[make_execution() for _ in range(30)])
    client.force_login(owner)
    for monitor in (first, second):
        other = second if monitor is first else first
        page = client.get(reverse("monitors:detail", args=[monitor.pk])).content.decode()
        rows_url = reverse("monitors:rows", args=[monitor.pk])
        assert f'hx-get="{rows_url}?status=failing"' in page and f'hx-get="{rows_url}?sort=name"' in page
        assert f'hx-get="{rows_url}?page=2"' in page and reverse("monitors:rows", args=[other.pk]) not in page
    fifty = client.get(reverse("monitors:rows", args=[first.pk]), {"size": "50"}, HTTP_HX_REQUEST="true")
    assert fifty.content.decode().count('class="watch-row') == 30 and "1–30 of 30" in fifty.content.decode()


def test_editing_a_monitor_changes_what_it_covers_and_starts_a_new_scope_afresh(client, owner):
    client.force_login(grant(owner, "change"))
    monitor = make_monitor("All", high_water=timezone.now())
    url = reverse("monitors:edit", args=[monitor.pk])
    assert 'value="All"' in client.get(url).content.decode()
    response = client.post(url, {"scope": "everything", "name": "All welcome packs", "name_contains": "welcome"})
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert (monitor.name, monitor.name_contains) == ("All welcome packs", "welcome")
    assert monitor.high_water is not None  # same scope: its sweep history stands

    response = client.post(url, {"scope": "clients", "client_uuids": "not-a-uuid"})
    assert "Not a valid client UUID: not-a-uuid" in response.content.decode()
    client_uuid = "0b7f3a55-1111-4222-8333-444455556666"
    client.post(url, {"scope": "clients", "client_uuids": client_uuid, "name": "One client"})
    monitor.refresh_from_db()
    assert monitor.scope == Scope.CLIENTS and monitor.client_uuids == [client_uuid] and monitor.high_water is None


def test_unwatching_an_execution_a_monitor_found_keeps_it_polling(owner):
    from executions.models import Execution
    from executions.watching import unwatch

    found = make_execution(next_poll_at=timezone.now())
    find(make_monitor(), found)
    alone = make_execution(next_poll_at=timezone.now())
    unwatch(watch(owner, found))
    unwatch(watch(owner, alone))
    assert Execution.objects.get(pk=found.pk).next_poll_at is not None
    assert Execution.objects.get(pk=alone.pk).next_poll_at is None


def test_the_overview_and_monitors_refreshes_run_a_constant_number_of_queries(client, owner):
    monitor = make_monitor()
    client.force_login(owner)
    now = timezone.now()

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        return len(captured)

    def both():
        return queries(reverse("monitors:overview_live")), queries(reverse("monitors:list_live"))

    find(monitor, make_execution(remote_created_at=now), make_execution(is_failing=True, remote_updated_at=now))
    few = both()
    find(monitor, *[make_execution(remote_created_at=now) for _ in range(30)])
    find(monitor, *[make_execution(is_failing=True, remote_updated_at=now) for _ in range(30)])
    watch(owner, name="watched, running", remote_created_at=now)
    assert both() == few


def test_the_overviews_counts_stop_at_the_cap(client, owner, monkeypatch):
    from monitors import summary

    monkeypatch.setattr(summary, "COUNT_CAP", 3)
    monitor = make_monitor()
    now = timezone.now()
    find(monitor, *[make_execution(remote_created_at=now - timedelta(minutes=i)) for i in range(3)])
    find(monitor, *[make_execution(is_failing=True, remote_updated_at=now) for _ in range(4)])
    client.force_login(owner)
    page = client.get(reverse("monitors:overview")).content.decode()
    assert 'Failing now <span class="count">3+</span>' in page
    # The failing ones are running too (not finished): 7 in all, shown as more than the cap.
    assert 'Running <span class="count">3+</span>' in page

    monkeypatch.setattr(summary, "COUNT_CAP", 10)
    page = client.get(reverse("monitors:overview")).content.decode()
    assert 'Failing now <span class="count">4</span>' in page and 'Running <span class="count">7</span>' in page


def test_a_blueprint_monitor_and_its_blueprint_page_link_out_to_plannr_when_a_template_is_set(client, owner, simulator):
    from connections.defaults import ensure_default

    client.force_login(grant(owner, "add"))
    blueprint = stories.BLUEPRINTS[1]
    client.post(reverse("monitors:new"), {"scope": "blueprint", "blueprint_uuid": blueprint.uuid})
    monitor = Monitor.objects.get()
    monitor_url = reverse("monitors:detail", args=[monitor.pk])
    blueprint_url = reverse("expectations:blueprint", args=[monitor.connection_id, monitor.blueprint_name])
    for url in (monitor_url, blueprint_url):
        assert 'id="blueprint-in-plannr"' not in client.get(url).content.decode()  # empty template: no link
    connection = ensure_default()
    connection.blueprint_url_template = "https://app.plannr.example/automations/blueprints/{blueprint_uuid}"
    connection.save()
    link = f'href="https://app.plannr.example/automations/blueprints/{blueprint.uuid}"'
    for url in (monitor_url, blueprint_url):
        page = client.get(url).content.decode()
        assert link in page and 'id="blueprint-in-plannr"' in page
