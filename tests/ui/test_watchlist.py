import re
from datetime import timedelta
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from executions.models import Execution, PollState, Watch
from tests.builders import many_watches, watch
from tests.dashboard.helpers import HTMX, text_of

pytestmark = pytest.mark.django_db

PAGE = reverse("executions:watchlist")
ROWS = reverse("executions:watchlist_rows")


def row_uuids(response):
    return re.findall(r'<tr id="watch-\d+" data-uuid="([0-9a-f-]+)"', response.content.decode())


def row_html(response, execution):
    html = response.content.decode()
    match = re.search(rf'<tr id="watch-\d+" data-uuid="{execution.uuid}".*?</tr>', html, re.S)
    assert match, f"no row for {execution.uuid}"
    return match.group(0)


def known_of(response):
    return re.search(r'"known": "([0-9a-f]+)"', response.content.decode()).group(1)


def test_a_row_shows_status_names_progress_failure_and_poll_time(owner_client, owner):
    w = watch(
        owner,
        label="onboarding",
        name="Send client welcome pack",
        status="failed",
        triggered_by="client.created",
        account_name="Jane Client",
        steps_count=4,
        steps_done=3,
        next_step={"name": "Send SMS"},
        is_failing=True,
        failure_message="Send SMS: the account_uuid field is required " + "x" * 200,
    )
    response = owner_client.get(PAGE)
    row = row_html(response, w.execution)

    assert 'class="badge badge-failed" data-status="failed">failed</span>' in row
    assert "Send client welcome pack" in row and "client.created" in row and "Jane Client" in row
    assert '<progress value="3" max="4"' in row
    assert "3/4 steps · next: Send SMS" in row
    # Shortened in the cell, whole in the tooltip.
    assert "Send SMS: the account_uuid field is required xxx" in row
    assert re.search(r'failure-text" title="Send SMS: the account_uuid field is required x{200}">', row)
    assert "x" * 100 not in re.sub(r'title="[^"]*"', "", row)
    assert "<time datetime=" in row and "data-relative" in row and " s ago</time>" in row
    assert "onboarding" in row
    assert "poll-trouble" not in row


def test_poll_trouble_is_marked_apart_from_execution_failure(owner_client, owner):
    lost = watch(
        owner, status="", name="", poll_state=PollState.NOT_FOUND, last_poll_error="404: No query results"
    )
    failing = watch(
        owner, status="completed", is_failing=True, failure_message="Hidden failure: Send SMS: boom"
    )
    response = owner_client.get(PAGE)

    lost_row = row_html(response, lost.execution)
    assert 'data-poll-state="not_found"' in lost_row and "⚠ Not found" in lost_row
    assert 'title="404: No query results"' in lost_row
    assert "badge-failed" not in lost_row
    assert ">no status</span>" in lost_row and "(not found in Plannr)" in lost_row

    failing_row = row_html(response, failing.execution)
    assert ">completed</span>" in failing_row
    assert 'badge badge-failed" title="A step reports a failure">failing</span>' in failing_row
    assert "poll-trouble" not in failing_row


def test_status_counts_at_the_top(owner_client, owner):
    many_watches(owner, 8)  # statuses cycle in_progress, completed, failed, "" ; i % 7 == 0 not found
    text = text_of(owner_client.get(PAGE))
    assert "All 8" in text
    assert "Failing 2" in text
    assert "Poll trouble 2" in text
    assert "in progress 2" in text and "completed 2" in text and "failed 2" in text
    assert "No data yet 2" in text


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("failing", {2, 6}),
        ("trouble", {0, 7}),
        ("completed", {1, 5}),
        ("not-polled", {3, 7}),
        ("", set(range(8))),
    ],
)
def test_filter_by_status(owner_client, owner, status, expected):
    executions = many_watches(owner, 8)
    response = owner_client.get(ROWS, {"status": status}, headers=HTMX)
    assert set(row_uuids(response)) == {str(executions[i].uuid) for i in expected}


def test_an_unknown_status_is_data_and_can_be_filtered(owner_client, owner):
    odd = watch(owner, status="paused_by_admin")
    watch(owner)
    response = owner_client.get(ROWS, {"status": "paused_by_admin"}, headers=HTMX)
    assert row_uuids(response) == [str(odd.execution.uuid)]
    assert "paused by admin" in text_of(response)
    assert "badge-other" in row_html(response, odd.execution)


@pytest.mark.parametrize("field", ["uuid", "name", "client", "label", "trigger"])
def test_search_finds_uuid_name_client_label_and_trigger(owner_client, owner, field):
    target = watch(
        owner,
        label="quarterly review",
        uuid=uuid.UUID("0badc0de-0000-4000-8000-000000000001"),
        name="Annual review reminder",
        account_name="Zebedee Holdings",
        triggered_by="case.closed",
    )
    watch(owner, label="other")
    term = {
        "uuid": "0badc0de-0000",
        "name": "annual REVIEW",
        "client": "zebedee",
        "label": "quarterly",
        "trigger": "case.closed",
    }[field]
    response = owner_client.get(ROWS, {"q": term}, headers=HTMX)
    assert row_uuids(response) == [str(target.execution.uuid)]


def test_search_without_hits_says_so(owner_client, owner):
    watch(owner)
    response = owner_client.get(ROWS, {"q": "nothing-like-this"}, headers=HTMX)
    assert row_uuids(response) == []
    assert "No watches match “nothing-like-this”" in text_of(response)


def test_sort_by_name_both_ways(owner_client, owner):
    for name in ["Bravo", "Alpha", "Charlie"]:
        watch(owner, name=name)
    names = lambda r: re.findall(r'class="exec-name">([^<]+)</a>', r.content.decode())  # noqa: E731
    assert names(owner_client.get(ROWS, {"sort": "name"}, headers=HTMX)) == ["Alpha", "Bravo", "Charlie"]
    assert names(owner_client.get(ROWS, {"sort": "-name"}, headers=HTMX)) == ["Charlie", "Bravo", "Alpha"]


def test_newest_watch_first_by_default_and_a_bad_sort_falls_back(owner_client, owner):
    first, second = watch(owner), watch(owner)
    for params in ({}, {"sort": "password"}):
        response = owner_client.get(ROWS, params, headers=HTMX)
        assert row_uuids(response) == [str(second.execution.uuid), str(first.execution.uuid)]


def test_server_side_pagination(owner_client, owner, settings):
    settings.WATCHLIST_PAGE_SIZE = 3
    executions = many_watches(owner, 7)
    newest_first = [str(e.uuid) for e in reversed(executions)]

    by_age = {"sort": "-watched"}
    page2 = owner_client.get(ROWS, {"page": 2, **by_age}, headers=HTMX)
    assert row_uuids(page2) == newest_first[3:6]
    assert "4–6 of 7" in text_of(page2) and "Page 2 of 3" in text_of(page2)

    beyond = owner_client.get(ROWS, {"page": 99, **by_age}, headers=HTMX)
    assert row_uuids(beyond) == newest_first[6:]
    garbage = owner_client.get(ROWS, {"page": "x", **by_age}, headers=HTMX)
    assert row_uuids(garbage) == newest_first[:3]


def test_pagination_counts_follow_search_and_filter(owner_client, owner, settings):
    settings.WATCHLIST_PAGE_SIZE = 2
    executions = many_watches(owner, 9)  # failing at 2 and 6
    Watch.objects.filter(execution__in=executions[:3]).update(label="needle")
    assert "1–2 of 3" in text_of(owner_client.get(ROWS, {"q": "needle"}, headers=HTMX))
    assert "1–2 of 2" in text_of(owner_client.get(ROWS, {"status": "failing"}, headers=HTMX))


def test_user_navigation_updates_the_address_bar_but_refreshes_do_not(owner_client, owner):
    watch(owner)
    response = owner_client.get(ROWS, {"status": "failing", "sort": "name"}, headers=HTMX)
    assert response["HX-Push-Url"] == f"{PAGE}?status=failing&sort=name"
    refresh = owner_client.get(ROWS, {"known": "stale"}, headers=HTMX)
    assert refresh.status_code == 200 and "HX-Push-Url" not in refresh


def test_refreshes_reuse_recent_counts_but_the_users_own_changes_count_afresh(owner_client, owner):
    watch(owner)
    known = known_of(owner_client.get(PAGE))
    watch(owner)  # e.g. added from another tab: counts lag by at most one refresh
    refresh = owner_client.get(ROWS, {"known": known}, headers=HTMX)
    assert "All 1" in text_of(refresh) and len(row_uuids(refresh)) == 2

    reload = owner_client.get(ROWS, {"fresh": "1"}, headers=HTMX)
    assert "All 2" in text_of(reload) and "HX-Push-Url" not in reload

    owner_client.post(reverse("executions:add"), {"uuids": str(uuid.uuid4())}, headers=HTMX)
    assert "All 3" in text_of(owner_client.get(ROWS, {"known": known}, headers=HTMX))


def test_a_refresh_with_nothing_changed_gets_no_content(owner_client, owner):
    w = watch(owner)
    first = owner_client.get(PAGE)
    known = known_of(first)

    again = owner_client.get(ROWS, {"known": known}, headers=HTMX)
    assert again.status_code == 204 and again.content == b""

    # A routine poll (only the poll time moves, within the minute) is still "nothing changed".
    polled = w.execution.last_polled_at + timedelta(seconds=3)
    assert Execution.objects.filter(pk=w.execution.pk).update(last_polled_at=polled) == 1
    assert Execution.objects.get(pk=w.execution.pk).last_polled_at != w.execution.last_polled_at
    assert owner_client.get(ROWS, {"known": known}, headers=HTMX).status_code == 204


@pytest.mark.parametrize(
    "change",
    [
        lambda w: Execution.objects.filter(pk=w.execution_id).update(version=5, status="completed"),
        lambda w: Execution.objects.filter(pk=w.execution_id).update(poll_state=PollState.TIMEOUT),
        lambda w: Watch.objects.filter(pk=w.pk).update(label="renamed"),
        lambda w: watch(w.user),
        lambda w: w.delete(),
    ],
    ids=["execution-changed", "poll-trouble", "label", "new-watch", "unwatched"],
)
def test_a_refresh_after_a_change_gets_the_new_rows(owner_client, owner, change):
    w = watch(owner)
    watch(owner)
    known = known_of(owner_client.get(PAGE))
    change(w)
    response = owner_client.get(ROWS, {"known": known}, headers=HTMX)
    assert response.status_code == 200
    assert known_of(response) != known


@pytest.mark.parametrize(
    "view", [{"status": "failing"}, {"status": "failed"}, {"q": "only"}, {"sort": "-watched"}, {"size": 100}]
)
def test_the_fingerprint_covers_the_view_shown(owner_client, owner, view):
    # One failing watch: every view below shows exactly the same row, count and page as
    # the unfiltered one, so only the view itself tells the fingerprints apart.
    watch(owner, name="the only one", status="failed", is_failing=True)
    known = known_of(owner_client.get(PAGE))
    filtered = owner_client.get(ROWS, {"known": known, **view}, headers=HTMX)
    assert filtered.status_code == 200 and len(row_uuids(filtered)) == 1
    # The chips and links it renders belong to that view: a 204 would leave the old ones.
    assert known_of(filtered) != known


def test_the_poller_carries_the_current_view_and_fingerprint(owner_client, owner):
    watch(owner)
    response = owner_client.get(PAGE, {"status": "failing", "q": "a b", "sort": "-name"})
    html = response.content.decode()
    poller = re.search(r'<div id="watchlist-poller".*?></div>', html, re.S).group(0)
    assert f'hx-get="{ROWS}?status=failing&amp;q=a+b&amp;sort=-name"' in poller
    assert 'hx-trigger="refresh"' in poller
    reloader = re.search(r'<div id="watchlist-reloader".*?></div>', html, re.S).group(0)
    assert f'hx-get="{ROWS}?status=failing&amp;q=a+b&amp;sort=-name"' in reloader
    assert 'hx-trigger="watches-changed from:body"' in reloader and '"fresh": "1"' in reloader
    assert 'data-refresh-seconds="5"' in poller and 'data-hidden-refresh-seconds="60"' in poller


def test_only_the_users_own_watches_are_listed(owner_client, owner, other_user):
    mine = watch(owner)
    theirs = watch(other_user)
    shared = watch(other_user)
    watch(owner, execution=shared.execution)
    response = owner_client.get(PAGE)
    assert sorted(row_uuids(response)) == sorted([str(mine.execution.uuid), str(shared.execution.uuid)])
    assert str(theirs.execution.uuid) not in response.content.decode()
    assert "All 2" in text_of(response)


def test_a_new_watch_says_it_is_not_polled_yet(owner_client, owner):
    w = watch(owner, status="", name="", last_polled_at=None, poll_state=PollState.NOT_POLLED, steps_count=0)
    row = row_html(owner_client.get(PAGE), w.execution)
    assert ">not polled yet</span>" in row and "(not polled yet)</a>" in row
    assert "no steps yet" in row and "not yet" in row


def test_empty_watchlist_invites_a_paste(owner_client):
    assert "Nothing watched yet." in text_of(owner_client.get(PAGE))


def names_of(response):
    return re.findall(r'class="exec-name">([^<]+)</a>', response.content.decode())


def test_failing_first_then_running_then_the_rest_newest_first_in_each(owner_client, owner):
    # Watched oldest first: the default order must not simply be "newest watch first".
    for name, status, failing in [
        ("old failing", "failed", True),
        ("old running", "in_progress", False),
        ("old done", "completed", False),
        ("new done", "completed", False),
        ("new running", "IN_PROGRESS", False),
        ("hidden failure", "completed", True),
        ("not polled", "", False),
    ]:
        watch(owner, name=name, status=status, is_failing=failing)
    expected = [
        "hidden failure", "old failing", "new running", "old running", "not polled", "new done", "old done",
    ]
    assert names_of(owner_client.get(PAGE)) == expected
    # Sorting by status is by severity: the same, and reversed group by group.
    assert names_of(owner_client.get(ROWS, {"sort": "status"}, headers=HTMX)) == expected
    assert names_of(owner_client.get(ROWS, {"sort": "-status"}, headers=HTMX)) == [
        "not polled", "new done", "old done", "new running", "old running", "hidden failure", "old failing",
    ]


SEVERITY_SET = [
    ("old failing", "failed", True),
    ("old running", "in_progress", False),
    ("old done", "completed", False),
    ("new done", "completed", False),
    ("new running", "IN_PROGRESS", False),
    ("hidden failure", "completed", True),
    ("not polled", "", False),
]


@pytest.mark.parametrize("sort", ["status", "-status"])
def test_severity_order_holds_across_pages(owner_client, owner, settings, sort):
    for name, status, failing in SEVERITY_SET:
        watch(owner, name=name, status=status, is_failing=failing)
    whole = names_of(owner_client.get(ROWS, {"sort": sort}, headers=HTMX))
    settings.WATCHLIST_PAGE_SIZE = 2
    paged = []
    for page in (1, 2, 3, 4):
        paged += names_of(owner_client.get(ROWS, {"sort": sort, "page": page}, headers=HTMX))
    assert paged == whole and len(whole) == 7


def test_a_new_failure_is_on_top_at_the_next_refresh(owner_client, owner):
    quiet = [watch(owner, name=f"quiet {i}", status="in_progress") for i in range(3)]
    known = known_of(owner_client.get(PAGE))
    Execution.objects.filter(pk=quiet[0].execution_id).update(
        status="failed", is_failing=True, version=2
    )
    # A timed refresh reuses the counts it had; the first page is still exact.
    refresh = owner_client.get(ROWS, {"known": known}, headers=HTMX)
    assert names_of(refresh) == ["quiet 0", "quiet 2", "quiet 1"]


def test_a_failure_is_on_the_first_page_among_many_finished(owner_client, owner, settings):
    settings.WATCHLIST_PAGE_SIZE = 5
    failing = watch(owner, name="the failing one", status="failed", is_failing=True)
    for _ in range(12):
        watch(owner, status="completed")
    assert "the failing one" in names_of(owner_client.get(PAGE))
    assert row_uuids(owner_client.get(PAGE))[0] == str(failing.execution.uuid)


def test_page_size_choice(owner_client, owner, settings):
    settings.WATCHLIST_PAGE_SIZE = 25
    many_watches(owner, 30)
    assert len(row_uuids(owner_client.get(PAGE))) == 25
    response = owner_client.get(ROWS, {"size": 100}, headers=HTMX)
    assert len(row_uuids(response)) == 30
    assert response["HX-Push-Url"] == f"{PAGE}?size=100"
    html = response.content.decode()
    assert '<option value="100" selected>' in html
    # The choice travels with every other link (filters, sorts, pages) and the poller.
    assert re.search(r'id="chip-failing" href="/\?status=failing&amp;size=100"', html)
    assert re.search(r'id="watchlist-poller".*?hx-get="[^"]*size=100', html, re.S)
    # Anything else is the default.
    for odd in ("7", "x", "100000"):
        assert len(row_uuids(owner_client.get(ROWS, {"size": odd}, headers=HTMX))) == 25


def test_rows_are_rendered_once_per_version(owner_client, owner, django_assert_max_num_queries):
    w = watch(owner, name="Before")
    owner_client.get(PAGE)
    # A change that does not bump the version is not shown: the cached row is used...
    Execution.objects.filter(pk=w.execution_id).update(name="After")
    assert names_of(owner_client.get(ROWS, {"fresh": "1"}, headers=HTMX)) == ["Before"]
    # ...and ingest bumps the version on every change a page shows.
    Execution.objects.filter(pk=w.execution_id).update(version=2)
    assert names_of(owner_client.get(ROWS, {"fresh": "1"}, headers=HTMX)) == ["After"]
    # A label change is the watch's own: it shows at once.
    Watch.objects.filter(pk=w.pk).update(label="relabelled", updated_at=timezone.now())
    assert "relabelled" in row_html(owner_client.get(ROWS, {"fresh": "1"}, headers=HTMX), w.execution)
