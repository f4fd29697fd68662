"""Applying fetched payloads: steps, snapshots only on change, failures, lifecycle."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from executions import ingest
from executions.models import Execution, FailureKind, PollState, Snapshot, Step
from plannr import PlannrExecution
from executions.signals import failures_detected

pytestmark = pytest.mark.django_db

QUIRKY_INFO = '"[{errors : "the account_uuid field is required" }]"'


def step(name, status="completed", info=None, step_uuid=None):
    return {
        "uuid": step_uuid or str(uuid.uuid4()),
        "created_at": "2026-06-08T16:08:03+01:00",
        "updated_at": "2026-06-08T16:08:03+01:00",
        "executed_at": "2026-06-08T16:08:03+01:00",
        "status": status,
        "info": info,
        "name": name,
    }


def payload(execution_uuid, status="in_progress", steps=(), next_step=None, name="Send welcome pack"):
    steps = list(steps)
    return {
        "uuid": str(execution_uuid),
        "created_at": "2026-06-08T16:08:03+01:00",
        "updated_at": "2026-06-08T16:09:03+01:00",
        "status": status,
        "triggered_by": "client.created",
        "steps": steps,
        "name": name,
        "next_step": next_step,
        "previous_step": steps[-1] if steps else None,
        "account": {"uuid": str(uuid.uuid4()), "name": "Gareth Thompson", "first_name": "Gareth"},
    }


@pytest.fixture
def claimed():
    """An execution claimed by a poll, as the batch task sees it."""
    token = uuid.uuid4()
    execution = Execution.objects.create(
        uuid=uuid.uuid4(), next_poll_at=timezone.now(), claim_token=token,
        claimed_until=timezone.now() + timedelta(minutes=5),
    )
    return execution, token


def apply(execution, token, data, now=None):
    fetched = PlannrExecution.from_payload(data)
    now = now or timezone.now()
    fresh = Execution.objects.get(pk=execution.pk)
    return ingest.apply_results([fresh], {fetched.uuid: fetched}, now, token)


def reclaim(execution, token):
    Execution.objects.filter(pk=execution.pk).update(claim_token=token, claimed_until=timezone.now() + timedelta(minutes=5))


def test_first_poll_stores_state_steps_and_one_snapshot(claimed):
    execution, token = claimed
    data = payload(execution.uuid, steps=[step("Send SMS"), step("Create task", status="in_progress")],
                   next_step=step("Send email", status="pending"))
    changed, unchanged, missing = apply(execution, token, data)
    assert (changed, unchanged, missing) == (1, 0, [])
    execution.refresh_from_db()
    assert execution.name == "Send welcome pack"
    assert execution.status == "in_progress"
    assert execution.account_name == "Gareth Thompson"
    assert execution.poll_state == PollState.OK
    assert execution.claim_token is None
    assert (execution.steps_done, execution.steps_count) == (1, 3)
    assert execution.next_step["name"] == "Send email"
    assert [s.name for s in execution.steps.all()] == ["Send SMS", "Create task"]
    assert Snapshot.objects.filter(execution=execution).count() == 1
    assert execution.next_poll_at > timezone.now()


def test_unchanged_payload_writes_no_snapshot_and_a_change_writes_one(claimed):
    execution, token = claimed
    data = payload(execution.uuid, steps=[step("Send SMS")])
    apply(execution, token, data)
    version = Execution.objects.get(pk=execution.pk).version
    reclaim(execution, token)
    assert apply(execution, token, data)[:2] == (0, 1)
    assert Snapshot.objects.filter(execution=execution).count() == 1
    assert Execution.objects.get(pk=execution.pk).version == version  # nothing a page shows changed

    data["steps"].append(step("Send email", status="failed", info="Mailbox unavailable"))
    reclaim(execution, token)
    assert apply(execution, token, data)[:2] == (1, 0)
    snapshots = list(Snapshot.objects.filter(execution=execution).order_by("fetched_at", "id"))
    assert len(snapshots) == 2
    assert {"kind": "step_added", "step": "Send email", "status": "failed"} in snapshots[1].changes


def test_a_lost_claim_is_left_alone(claimed):
    execution, token = claimed
    assert apply(execution, uuid.uuid4(), payload(execution.uuid))[0] == 1
    # The wrong token: nothing was written.
    execution.refresh_from_db()
    assert execution.status == "" and execution.claim_token == token
    assert not Snapshot.objects.exists()


def test_failed_and_hidden_failures_are_detected_and_signalled(claimed):
    execution, token = claimed
    received = []

    def receiver(sender, execution, failures, **kwargs):
        received.append(failures)

    failures_detected.connect(receiver)
    try:
        apply(execution, token, payload(
            execution.uuid, status="failed",
            steps=[step("Send SMS", info=QUIRKY_INFO), step("Send email", status="FAILED", info="SMTP 550")],
        ))
    finally:
        failures_detected.disconnect(receiver)
    steps = {s.name: s for s in Step.objects.filter(execution=execution)}
    assert steps["Send SMS"].failure_kind == FailureKind.HIDDEN
    assert steps["Send SMS"].messages == ["the account_uuid field is required"]
    assert steps["Send SMS"].info == QUIRKY_INFO
    assert steps["Send email"].failure_kind == FailureKind.FAILED
    [failures] = received
    assert [(f.kind, f.on_execution) for f in failures] == [
        (FailureKind.HIDDEN, False), (FailureKind.FAILED, False), (FailureKind.FAILED, True)
    ]
    execution.refresh_from_db()
    assert execution.is_failing
    assert "Send email" in execution.failure_message


def test_finished_execution_gets_one_confirming_poll_then_stops(claimed):
    execution, token = claimed
    data = payload(execution.uuid, status="completed", steps=[step("Send SMS")])
    apply(execution, token, data)
    execution.refresh_from_db()
    assert execution.is_finished and not execution.final_confirmed
    assert execution.next_poll_at is not None

    reclaim(execution, token)
    apply(execution, token, data)
    execution.refresh_from_db()
    assert execution.final_confirmed
    assert execution.next_poll_at is None


def test_unknown_status_is_data_and_counts_as_finished(claimed):
    execution, token = claimed
    apply(execution, token, payload(execution.uuid, status="paused_by_admin"))
    execution.refresh_from_db()
    assert execution.status == "paused_by_admin"
    assert execution.is_finished and not execution.is_failing


def test_payloads_fetched_outside_a_poll_apply_without_a_claim():
    # What discovery does with a list page's payloads: apply_results with no claim token.
    execution = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=timezone.now())
    absent = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=timezone.now())
    data = payload(execution.uuid, steps=[step("Send SMS")])
    changed, unchanged, missing = ingest.apply_results(
        [execution, absent], {str(execution.uuid): data}, timezone.now(), None
    )
    assert (changed, unchanged, [m.pk for m in missing]) == (1, 0, [absent.pk])
    execution.refresh_from_db()
    assert (execution.poll_state, execution.name, execution.steps.count()) == (PollState.OK, "Send welcome pack", 1)
    assert Snapshot.objects.filter(execution=execution).count() == 1
    # The same payload again is an unchanged poll.
    assert ingest.apply_results([execution], {str(execution.uuid): data}, timezone.now(), None)[:2] == (0, 1)


def test_a_change_rewrites_only_the_steps_that_changed(claimed):
    """Stored steps read back equal to freshly parsed ones (times in another zone, JSON
    messages), so the upsert carries only what is new or different."""
    execution, token = claimed
    kept = step("Send SMS", status="failed", info=QUIRKY_INFO)
    data = payload(execution.uuid, steps=[kept, step("Create task", status="in_progress")])
    apply(execution, token, data)
    data["steps"][1]["status"] = "completed"
    data["steps"].append(step("Send email"))
    fetched = PlannrExecution.from_payload(data)
    rows = [ingest._StepRow(execution.pk, n, s) for n, s in enumerate(fetched.steps)]
    stored = ingest._stored_steps([execution.pk])[execution.pk]
    assert [s.name for s in ingest._steps_to_write(rows, stored)] == ["Create task", "Send email"]
