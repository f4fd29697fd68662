"""A table's page query (ui/page.py): one narrow query per severity group for the page's
row keys, and the values rows show fetched afterwards by id, only for the rows the row
cache does not hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from executions.models import Watch
from tests.builders import watch
from ui.page import TablePage
from ui.params import Params
from ui.rows import rendered_rows
from ui.table import key_fields, row_fields
from ui.watchlist import WATCHES, watchlist_page

pytestmark = pytest.mark.django_db


def orm_rows(user):
    """The page's rows as the ORM gives them, for comparison."""
    return {r["id"]: r for r in Watch.objects.filter(user=user).values(*row_fields(WATCHES))}


def mixed(user, n=6, prefix=""):
    statuses = ["failed", "in_progress", "completed"]
    return [
        watch(user, name=f"{prefix}{i}", status=statuses[i % 3], is_failing=i % 3 == 0, label=f"l{i}")
        for i in range(n)
    ]


def test_each_owner_gets_their_own_rows_in_severity_order(owner, other_user):
    mine, theirs = mixed(owner, prefix="mine "), mixed(other_user, prefix="theirs ")
    first = watchlist_page(owner, Params())
    second = watchlist_page(other_user, Params())
    assert sorted(first.ids) == sorted(w.pk for w in mine)
    assert sorted(second.ids) == sorted(w.pk for w in theirs)
    # Failing first, then running, then the rest, newest first within each.
    assert second.ids == [theirs[i].pk for i in (3, 0, 4, 1, 5, 2)]


def test_keys_are_the_orm_values_of_the_key_fields_and_values_are_fetched_only_when_asked(owner):
    mixed(owner)
    with CaptureQueriesContext(connection) as page_queries:
        page = watchlist_page(owner, Params())
    expected = orm_rows(owner)
    # Each key ends with whether its poll is under way (nothing is claimed here).
    assert page.keys == [(*(expected[i][f] for f in key_fields(WATCHES)), False) for i in page.ids]
    # The page's own queries read no displayed value: no name, no failure message.
    assert not any('"name"' in q["sql"] or "failure_message" in q["sql"] for q in page_queries.captured_queries)
    some = page.ids[1:3]
    with CaptureQueriesContext(connection) as values_queries:
        values = page.values(some)
    assert values == [{**expected[i], "polling": False} for i in some]
    assert len(values_queries.captured_queries) == 1


def test_only_the_rows_missing_from_the_row_cache_are_fetched(owner, monkeypatch):
    rows = mixed(owner)
    rendered_rows(watchlist_page(owner, Params()))  # every row rendered and cached
    asked = []
    real = TablePage.values

    def spying(self, ids):
        asked.append(list(ids))
        return real(self, ids)

    monkeypatch.setattr(TablePage, "values", spying)
    rendered_rows(watchlist_page(owner, Params()))
    assert asked == []  # all from the cache: no values read
    Watch.objects.filter(pk=rows[2].pk).update(label="changed")
    rendered_rows(watchlist_page(owner, Params()))
    assert asked == [[rows[2].pk]]


def test_a_row_deleted_between_keys_and_values_is_left_out(owner):
    rows = mixed(owner, n=3)
    page = watchlist_page(owner, Params())
    rows[1].delete()
    html = rendered_rows(page)
    assert html.count('class="watch-row') == 2


def test_a_search_filters_with_its_terms(owner):
    mixed(owner, prefix="alpha ")
    watch(owner, name="beta 1")
    assert len(watchlist_page(owner, Params(q="beta")).ids) == 1
    assert len(watchlist_page(owner, Params(q="alpha")).ids) == 6


def test_the_running_statuses_decide_the_severity_order(owner, settings):
    mixed(owner)
    default = watchlist_page(owner, Params())
    settings.PLANNR_RUNNING_STATUSES = ["completed"]
    changed = watchlist_page(owner, Params())
    # "completed" is now what runs, so those rows come before "in_progress".
    assert default.ids != changed.ids
