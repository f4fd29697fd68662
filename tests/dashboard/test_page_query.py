"""The watchlist's page query is compiled once per shape and run for each owner
(executions/watchlist.py, PageRows), and its values converted only for the rows rendered."""

import pytest
from django.db.models.sql.compiler import SQLCompiler

from executions import watchlist
from executions.models import Watch
from executions.watchlist import WATCHES, Params, key_fields, row_fields, watchlist_page
from tests.builders import watch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_compiled_queries():
    watchlist._COMPILED.clear()
    yield
    watchlist._COMPILED.clear()


@pytest.fixture
def compiles(monkeypatch):
    """How many queries the ORM compiled."""
    count = [0]
    real = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        count[0] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return count


def orm_rows(user, params):
    """The page's rows as the ORM gives them, for comparison."""
    qs = Watch.objects.filter(user=user)
    rows = list(qs.values(*row_fields(WATCHES)))
    return {r["id"]: r for r in rows}


def mixed(user, n=6, prefix=""):
    statuses = ["failed", "in_progress", "completed"]
    return [
        watch(user, name=f"{prefix}{i}", status=statuses[i % 3], is_failing=i % 3 == 0, label=f"l{i}")
        for i in range(n)
    ]


def test_each_owner_gets_their_own_rows_from_the_one_compiled_query(owner, other_user):
    mine, theirs = mixed(owner, prefix="mine "), mixed(other_user, prefix="theirs ")
    first = watchlist_page(owner, Params())
    shapes = dict(watchlist._COMPILED)
    second = watchlist_page(other_user, Params())
    assert watchlist._COMPILED == shapes  # no new shape: the same SQL ran for both
    assert sorted(first.ids) == sorted(w.pk for w in mine)
    assert sorted(second.ids) == sorted(w.pk for w in theirs)
    # Failing first, then running, then the rest, newest first within each.
    assert second.ids == [theirs[i].pk for i in (3, 0, 4, 1, 5, 2)]


def test_a_refresh_compiles_nothing(owner, compiles):
    mixed(owner)
    watchlist_page(owner, Params())  # counts, and each severity group's query once
    compiles[0] = 0
    watchlist_page(owner, Params(), refresh=True)  # counts from the cache, rows from the kept SQL
    watchlist_page(owner, Params(status="failing", sort="-name"), refresh=True)
    before = compiles[0]
    watchlist_page(owner, Params(status="failing", sort="-name"), refresh=True)
    assert compiles[0] == before == 1  # only the new shape's query (its counts were cached)


def test_a_search_is_built_each_time_with_its_terms(owner):
    mixed(owner, prefix="alpha ")
    watch(owner, name="beta 1")
    assert len(watchlist_page(owner, Params(q="beta")).ids) == 1
    assert len(watchlist_page(owner, Params(q="alpha")).ids) == 6
    assert not any("alpha" in str(v) or "beta" in str(v) for v in watchlist._COMPILED.values())


def test_values_are_converted_as_the_orm_converts_them_and_only_when_asked(owner, monkeypatch):
    mixed(owner)
    page = watchlist_page(owner, Params())
    expected = orm_rows(owner, Params())
    # Each key ends with whether its poll is under way (nothing is claimed here).
    assert page.keys == [(*(expected[i][f] for f in key_fields(WATCHES)), False) for i in page.ids]
    # Only the rows asked for are converted: uuids, dates and JSON as values() gives them.
    converted = []
    real = watchlist.PageRows._converted

    def spying(self, positions, names):
        positions = list(positions)
        if names == self.names:
            converted.extend(positions)
        return real(self, positions, names)

    monkeypatch.setattr(watchlist.PageRows, "_converted", spying)
    some = page.ids[1:3]
    assert page.values(some) == [{**expected[i], "polling": False} for i in some]
    assert converted == [1, 2]


def test_the_running_statuses_are_part_of_the_shape(owner, settings):
    mixed(owner)
    default = watchlist_page(owner, Params())
    settings.PLANNR_RUNNING_STATUSES = ["completed"]
    changed = watchlist_page(owner, Params())
    # "completed" is now what runs, so those rows come before "in_progress".
    assert default.ids != changed.ids
