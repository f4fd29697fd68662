"""A fixed connection restarts polling at once: a new token, or "retry now" on the poll-health page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from executions import polling
from connections.defaults import ensure_default
from connections.models import Connection
from executions.models import Execution, PollState
from tests.executions.polling_helpers import states, watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def run_dispatch():
    return polling.dispatch(send=lambda ids, token: polling.poll_claimed(ids, token))


@pytest.fixture
def paused(simulator, owner, settings):
    """Three executions waiting for the `default` connection, broken by a 401."""
    uuids = simulator.create_many(3)
    watch_all(owner, uuids)
    simulator.fail_next("401")
    polling.run_cycle()
    assert {e.poll_state for e in states(uuids).values()} == {PollState.UNAUTHORIZED}
    assert ensure_default().broken_since is not None
    assert run_dispatch() == []
    return uuids


def test_a_new_token_makes_what_the_old_one_paused_due_at_once(paused, simulator, settings):
    settings.PLANNR_API_TOKEN = "a-new-token"
    simulator.server.tokens = frozenset({"a-new-token"})
    sent = run_dispatch()
    assert sorted(i for _, ids in sent for i in ids) == sorted(e.pk for e in states(paused).values())
    assert {e.poll_state for e in states(paused).values()} == {PollState.OK}
    assert not Connection.objects.broken().exists()


def test_retry_now_on_the_poll_health_page_restarts_polling_at_once(paused, client, admin):
    client.force_login(admin)
    page = client.get(reverse("executions:poll_health")).content.decode()
    assert 'data-connection-state="broken"' in page and "Retry now" in page
    assert "Waiting for a refused connection</dt><dd>3<" in page

    response = client.post(reverse("executions:poll_health_retry"))
    assert response.status_code == 302
    assert Execution.objects.due(timezone.now()).count() == 3
    sent = run_dispatch()
    assert sum(len(ids) for _, ids in sent) == 3
    assert {e.poll_state for e in states(paused).values()} == {PollState.OK}
    page = client.get(reverse("executions:poll_health")).content.decode()
    assert 'data-connection-state="ok"' in page


def test_retry_now_with_a_token_still_refused_keeps_it_broken(paused, client, admin, simulator):
    client.force_login(admin)
    simulator.fail_next("401")
    client.post(reverse("executions:poll_health_retry"))  # the test is refused
    assert ensure_default().broken_since is not None
    assert run_dispatch() == []


def test_poll_health_shows_lag_refreshes_with_204_and_is_staff_only(simulator, owner, client, admin):
    watch_all(owner, simulator.create_many(2))
    Execution.objects.update(next_poll_at=timezone.now() - timezone.timedelta(seconds=95))
    client.force_login(owner)
    assert client.get(reverse("executions:poll_health")).status_code == 403
    assert client.post(reverse("executions:poll_health_retry")).status_code == 403
    client.force_login(admin)
    page = client.get(reverse("executions:poll_health")).content.decode()
    assert 'data-poll-lag="9' in page and "Due now</dt><dd>2<" in page
    # Nothing overdue, so nothing ticks: a refresh that knows what it shows gets a 204.
    Execution.objects.update(next_poll_at=timezone.now() + timezone.timedelta(seconds=60))
    live = reverse("executions:poll_health_live")
    first = client.get(live, headers={"HX-Request": "true"})
    fp = first.content.decode().split('"known": "')[1].split('"')[0]
    assert client.get(live, {"known": fp}, headers={"HX-Request": "true"}).status_code == 204
    Connection.objects.update(broken_since=timezone.now(), break_kind="refused", broken_reason="Unauthenticated.")
    assert client.get(live, {"known": fp}, headers={"HX-Request": "true"}).status_code == 200
    client.logout()
    assert client.get(reverse("executions:poll_health")).status_code == 302
