"""An execution Plannr does not know: backed off, given up after NOT_FOUND_GIVE_UP polls,
and kept visible as "Not found in Plannr" (issue 20, point 17). Real simulator over HTTP."""

import uuid as uuid_lib
from datetime import timedelta

import pytest
from django.utils import timezone

from executions import polling, scheduling
from executions.models import Execution, PollState
from tests.executions.polling_helpers import watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import caches

    caches["default"].clear()
    caches["fragments"].clear()


def test_an_unknown_execution_backs_off_then_stops_and_stays_listed(simulator, owner, owner_client, settings):
    settings.NOT_FOUND_GIVE_UP = 4
    unknown = str(uuid_lib.uuid4())
    watch_all(owner, [unknown])
    waits = []
    for attempt in range(1, 5):
        polling.run_cycle()
        e = Execution.objects.get()
        assert (e.poll_state, e.consecutive_errors) == (PollState.NOT_FOUND, attempt)
        if attempt < 4:
            waits.append((e.next_poll_at - e.last_polled_at).total_seconds())
            Execution.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    assert waits == [scheduling.backoff_seconds(n) for n in (1, 2, 3)] and waits[0] < waits[1] < waits[2]
    assert Execution.objects.get().next_poll_at is None  # given up
    assert polling.run_cycle().claimed == 0  # nothing polls it any more

    html = owner_client.get("/").content.decode()
    row = html[html.index(f'data-uuid="{unknown}"'):]
    row = row[: row.index("</tr>")]
    assert "(not found in Plannr)" in row and "not polled yet" not in row
    page = owner_client.get(f"/executions/{unknown}/").content.decode()
    assert '<h1 class="exec-title">Not found in Plannr</h1>' in page
    assert "not polled yet" not in page.lower()
    assert "none: not found in Plannr after 4 tries" in page
    assert 'id="execution-poller"' not in page  # nothing will change: the page stops refreshing


def test_the_default_gives_up_after_about_an_hour(settings):
    assert settings.NOT_FOUND_GIVE_UP == 10
    total = sum(scheduling.backoff_seconds(n) for n in range(1, settings.NOT_FOUND_GIVE_UP))
    assert 45 * 60 <= total <= 75 * 60


def test_other_errors_never_give_up(settings):
    settings.NOT_FOUND_GIVE_UP = 2
    now = timezone.now()
    assert scheduling.after_error(50, now) is not None
    assert scheduling.after_error(1, now, not_found=True) is not None
    assert scheduling.after_error(2, now, not_found=True) is None


def test_the_first_watch_of_an_unknown_uuid_is_not_called_watching_again(owner_client):
    unknown = uuid_lib.uuid4()
    first = owner_client.post(f"/executions/{unknown}/watch/", follow=True).content.decode()
    assert "Watching this execution again" not in first
    assert "Now watching this execution" in first
    owner_client.post(f"/executions/{unknown}/unwatch/")
    again = owner_client.post(f"/executions/{unknown}/watch/", follow=True).content.decode()
    assert "Watching this execution again" in again
