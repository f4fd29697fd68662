"""The watchlist costs the same number of queries whatever the number of watches."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import many_watches
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

PAGE = reverse("executions:watchlist")
ROWS = reverse("executions:watchlist_rows")
BUDGET = 12


def count_queries(client, url, params=None, headers=None, expect=200):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, headers=headers or {})
    assert response.status_code == expect
    return len(ctx.captured_queries), response


@pytest.mark.parametrize(
    ("url", "params", "headers"),
    [
        (PAGE, {}, {}),
        (ROWS, {}, HTMX),
        (ROWS, {"status": "failing", "sort": "-polled", "page": 2}, HTMX),
        (ROWS, {"q": "Blueprint", "sort": "name"}, HTMX),
    ],
    ids=["page", "partial", "partial-filtered", "partial-search"],
)
def test_query_count_is_the_same_at_5_and_500_watches(owner_client, owner, other_user, url, params, headers):
    many_watches(owner, 5)
    many_watches(other_user, 5)
    small, response = count_queries(owner_client, url, params, headers)
    assert b'class="watch-row' in response.content

    many_watches(owner, 495)
    large, response = count_queries(owner_client, url, params, headers)
    assert b'class="watch-row' in response.content

    # The default order reads the page from each severity group it spans (one query
    # each, at most three): at 5 watches the page spans them all, the most it can cost.
    assert large <= small, f"{small} queries at 5 watches, {large} at 500"
    assert small <= BUDGET


def test_an_unchanged_refresh_is_as_cheap_at_500_watches(owner_client, owner):
    many_watches(owner, 5)
    known = re.search(rb'"known": "([0-9a-f]+)"', owner_client.get(PAGE).content).group(1).decode()
    small, _ = count_queries(owner_client, ROWS, {"known": known}, HTMX, expect=204)

    many_watches(owner, 495)
    known = re.search(rb'"known": "([0-9a-f]+)"', owner_client.get(PAGE).content).group(1).decode()
    large, _ = count_queries(owner_client, ROWS, {"known": known}, HTMX, expect=204)
    # (At 5 watches the page spans every severity group: see above.)
    assert large <= small <= BUDGET


def test_execution_page_queries_do_not_grow_with_steps_or_history(owner_client, owner):
    from tests.builders import add_snapshot, add_step, watch

    few, many = watch(owner), watch(owner)
    for w, n in ((few, 2), (many, 60)):
        for i in range(n):
            add_step(w.execution, f"Step {i}", position=i, messages=[f"message {i}"])
            add_snapshot(w.execution, [{"kind": "step_added", "step": f"Step {i}", "status": "completed"}])
    counts = []
    for w in (few, many):
        url = reverse("executions:detail", kwargs={"uuid": w.execution.uuid})
        counts.append(count_queries(owner_client, url)[0])
        live = reverse("executions:live", kwargs={"uuid": w.execution.uuid})
        counts.append(count_queries(owner_client, live, {}, HTMX)[0])
    assert counts[:2] == counts[2:], counts
    assert max(counts) <= BUDGET
