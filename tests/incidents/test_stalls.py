"""Stalls (incidents/stalls.py): learned per blueprint and step, grouped, cleared on moving on."""

import uuid as uuid_lib
from datetime import timedelta

import pytest
from django.utils import timezone

from executions.models import Execution, FailureKind
from incidents import stalls
from incidents.models import Incident, Occurrence, Status
from tests.builders import add_step, make_execution

pytestmark = pytest.mark.django_db

BLUEPRINT = "Annual review"


def history(now, runs=6):
    """Past executions: "Send SMS" a minute after "Create task", "Send follow-up" two days later."""
    for i in range(runs):
        start = now - timedelta(days=10 + i)
        execution = make_execution(name=BLUEPRINT, status="completed", is_finished=True, next_poll_at=None,
                                   remote_created_at=start)
        add_step(execution, position=0, name="Create task", executed_at=start)
        add_step(execution, position=1, name="Send SMS", executed_at=start + timedelta(seconds=50 + i * 5))
        add_step(execution, position=2, name="Send follow-up", executed_at=start + timedelta(days=2, minutes=i))


def waiting(now, previous, next_step, waited):
    return make_execution(
        name=BLUEPRINT,
        remote_created_at=now - waited - timedelta(minutes=1),
        previous_step={"name": previous, "executed_at": (now - waited).isoformat()},
        next_step={"uuid": str(uuid_lib.uuid4()), "name": next_step, "status": "pending"},
    )


def test_an_execution_held_past_the_learned_threshold_is_a_stalled_incident_and_long_normal_waits_are_not(settings):
    settings.STALL_FACTOR, settings.STALL_FLOOR_MINUTES, settings.STALL_MIN_SAMPLES = 3, 30, 5
    now = timezone.now()
    history(now)
    stuck = waiting(now, "Create task", "Send SMS", timedelta(hours=2))
    waiting(now, "Send SMS", "Send follow-up", timedelta(days=1))  # normal for a two-day wait
    waiting(now, "Create task", "Send SMS", timedelta(minutes=20))  # under the floor

    assert stalls.detect(now) == (1, 0)
    incident = Incident.objects.get()
    assert (incident.family, incident.step_name, incident.title) == (FailureKind.STALLED, "Send SMS", "Stalled before Send SMS")
    assert Occurrence.objects.get().execution == stuck
    assert stalls.detect(now + timedelta(minutes=1)) == (0, 0)  # still stalled: still one occurrence

    # It moves on: the stall clears and the incident resolves itself.
    Execution.objects.filter(pk=stuck.pk).update(next_step={"uuid": str(uuid_lib.uuid4()), "name": "Send follow-up"})
    assert stalls.detect(now + timedelta(minutes=2)) == (0, 1)
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED and incident.history.first().by is None
    assert Occurrence.objects.get().cleared_at is not None


def test_nothing_is_flagged_without_enough_history(settings):
    settings.STALL_MIN_SAMPLES = 5
    now = timezone.now()
    history(now, runs=4)
    waiting(now, "Create task", "Send SMS", timedelta(days=3))
    assert stalls.detect(now) == (0, 0)
    assert stalls.percentile([5, 1, 3, 2, 4], 0.95) == 5
