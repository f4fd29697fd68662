"""The dispatcher's claim is the reschedule: an unchanged routine poll writes nothing
to its rows, and one FinishedClaim row ends its batch's claims (issue 9).
"""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executions import polling, scheduling
from executions.models import Execution, FinishedClaim
from tests.executions.polling_helpers import watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def polled_once(simulator, owner, n=3):
    """Watched executions after their first poll (which changed them, so released them)."""
    uuids = simulator.create_many(n)
    watch_all(owner, uuids)
    polling.run_cycle()
    Execution.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    return uuids


def dispatched(now=None):
    sent = []
    polling.dispatch(send=lambda rows, token: sent.append((rows, token)), now=now)
    return sent


def test_an_unchanged_routine_poll_writes_nothing_to_its_rows(simulator, owner, settings):
    polled_once(simulator, owner)
    [(rows, token)] = dispatched()
    claimed = {e.pk: e for e in Execution.objects.all()}
    with CaptureQueriesContext(connection) as queries:
        outcome = polling.poll_claimed(rows, token)
    assert (outcome.polled, outcome.unchanged) == (3, 3)
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and "executions_finishedclaim" in writes[0]
    # What the claim wrote stands: polled at the claim, due again an interval after it.
    for execution in Execution.objects.all():
        before = claimed[execution.pk]
        assert (execution.last_polled_at, execution.next_poll_at, execution.version) == (
            before.last_polled_at, before.next_poll_at, before.version
        )
        assert execution.next_poll_at == execution.last_polled_at + timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    assert FinishedClaim.objects.filter(token=token).exists()


def test_a_finished_batch_frees_its_rows_for_the_next_due_claim_not_before(simulator, owner):
    polled_once(simulator, owner)
    [(rows, token)] = dispatched()
    polling.poll_claimed(rows, token)
    now = timezone.now()
    assert Execution.objects.in_flight(now).count() == 0
    assert dispatched(now) == []  # not due yet
    due = Execution.objects.first().next_poll_at
    [(again, second)] = dispatched(due + timedelta(seconds=1))
    assert second != token and len(again) == 3
    assert set(Execution.objects.values_list("claim_token", flat=True)) == {second}


def test_a_batch_still_running_keeps_its_rows(simulator, owner):
    polled_once(simulator, owner)
    [(rows, token)] = dispatched()
    later = Execution.objects.first().next_poll_at + timedelta(seconds=1)
    # Due again, but its batch has not finished and its claim holds: nobody takes it.
    assert dispatched(later) == []
    assert Execution.objects.in_flight(later).count() == 3


def test_a_poll_landing_over_a_second_after_its_claim_writes_its_own_time(simulator, owner):
    polled_once(simulator, owner)
    [(rows, token)] = dispatched()
    late = timezone.now() + scheduling.RESCHEDULE_TOLERANCE + timedelta(seconds=1)
    polling.poll_claimed(rows, token, now_fn=lambda: late)
    for execution in Execution.objects.all():
        assert execution.last_polled_at == late
        assert execution.next_poll_at == late + scheduling.interval()
        assert execution.claim_token is None
    assert not FinishedClaim.objects.exists()  # nothing kept its claim: nothing to finish


def test_a_message_redelivered_after_its_batch_finished_polls_nothing(simulator, owner):
    polled_once(simulator, owner)
    [(rows, token)] = dispatched()
    polling.poll_claimed(rows, token)
    requests = simulator.stats.requests
    # The rows still carry the token (nothing released them), but the batch is over.
    assert Execution.objects.filter(claim_token=token).count() == 3
    assert polling.poll_claimed([row[0] for row in rows], token).polled == 0
    assert simulator.stats.requests == requests


def test_dispatch_prunes_finished_claims_once_no_claim_of_theirs_can_hold(simulator, owner):
    now = timezone.now()
    assert scheduling.FINISHED_CLAIMS_KEPT.total_seconds() >= scheduling.claim_seconds()
    old = FinishedClaim.objects.create(token=uuid.UUID(int=1),
                                       finished_at=now - scheduling.FINISHED_CLAIMS_KEPT - timedelta(seconds=1))
    recent = FinishedClaim.objects.create(token=uuid.UUID(int=2), finished_at=now)
    dispatched(now)
    assert list(FinishedClaim.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
