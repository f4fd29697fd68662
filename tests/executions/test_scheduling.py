"""The poll bookkeeping's named queries and the one module that says when to poll next."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from executions import scheduling
from executions.models import Execution, PollState

pytestmark = pytest.mark.django_db


def test_due_unclaimed_claimed_by_and_release():
    now = timezone.now()
    token = uuid.uuid4()
    due = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=now)
    later = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=now + timedelta(seconds=5))
    held = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=now, claim_token=token,
                                    claimed_until=now + timedelta(seconds=30))
    expired = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=now, claim_token=uuid.uuid4(),
                                       claimed_until=now - timedelta(seconds=1))
    assert set(Execution.objects.due(now)) == {due, held, expired}
    assert set(Execution.objects.due(now).unclaimed(now)) == {due, expired}
    assert list(Execution.objects.claimed_by(token)) == [held]
    assert list(Execution.objects.in_flight(now)) == [held]
    assert later not in Execution.objects.due(now)

    assert Execution.objects.claimed_by(token).release(last_poll_error="x") == 1
    held.refresh_from_db()
    assert (held.claim_token, held.claimed_until, held.last_poll_error) == (None, None, "x")


def test_when_to_poll_next(settings):
    settings.POLL_INTERVAL_SECONDS = 10
    settings.POLL_BACKOFF_MAX_SECONDS = 25
    now = timezone.now()
    running = scheduling.after_success(status="in_progress", poll_state=PollState.OK, was_finished=False,
                                       changed=False, now=now)
    assert running == (now + timedelta(seconds=10), False)
    # Finished: one more poll to confirm, then never.
    first = scheduling.after_success(status="completed", poll_state=PollState.OK, was_finished=False,
                                     changed=True, now=now)
    assert first == (now + timedelta(seconds=10), False)
    assert scheduling.after_success(status="completed", poll_state=PollState.OK, was_finished=True,
                                    changed=False, now=now) == (None, True)
    assert [scheduling.backoff_seconds(n) for n in (1, 2, 3, 9)] == [10, 20, 25, 25]
