"""Apply a fetched execution to the database.

An unchanged payload (same canonical-JSON hash) costs one shared UPDATE per batch
for its poll bookkeeping and writes no snapshot. A changed one is applied in its
own transaction: steps upserted, a snapshot with what changed, the denormalised
fields the pages read, and the `failures_detected` signal, so that the alert rows
are written atomically with the change that caused them.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .failures import detect_failures, is_failure_status, is_running_status, step_failure_kind
from .models import Execution, FailureKind, PollState, Snapshot, Step
from .signals import failures_detected


def payload_hash(payload):
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _step_json(step):
    """A step (next/previous) as stored on the execution: small and template-friendly."""
    if step is None:
        return None
    return {
        "uuid": step.uuid,
        "name": step.name,
        "status": step.status,
        "info": step.info.raw,
        "messages": list(step.info.messages),
        "executed_at": step.executed_at.isoformat() if step.executed_at else None,
    }


def next_poll_after_success(execution, status, payload_changed, now):
    """(next_poll_at, final_confirmed) for a successful poll.

    Running: poll again after the interval. Finished: one more poll to confirm;
    when a second poll sees the same finished payload, polling stops.
    """
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    if is_running_status(status):
        return now + interval, False
    if payload_changed or execution.poll_state != PollState.OK or not execution.is_finished:
        return now + interval, False
    return None, True


def apply_unchanged(executions, now, claim_token):
    """Bookkeeping for executions whose payload did not change. Returns rows updated.

    The common case (running, last poll fine) is one UPDATE for the whole batch.
    """
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    routine, confirming, recovering = [], [], []
    for execution in executions:
        if execution.poll_state != PollState.OK:
            recovering.append(execution)
        elif is_running_status(execution.status):
            routine.append(execution.pk)
        else:
            confirming.append(execution.pk)
    release = {"claim_token": None, "claimed_until": None, "last_polled_at": now}
    updated = 0
    if routine:
        updated += Execution.objects.filter(pk__in=routine, claim_token=claim_token).update(
            next_poll_at=now + interval, **release
        )
    if confirming:
        updated += Execution.objects.filter(pk__in=confirming, claim_token=claim_token).update(
            next_poll_at=None, final_confirmed=True, version=F("version") + 1, **release
        )
    for execution in recovering:
        # Back from an error: the page must show the recovery, so bump the version.
        next_poll_at, confirmed = next_poll_after_success(execution, execution.status, False, now)
        updated += Execution.objects.filter(pk=execution.pk, claim_token=claim_token).update(
            next_poll_at=next_poll_at,
            final_confirmed=confirmed,
            poll_state=PollState.OK,
            last_poll_error="",
            consecutive_errors=0,
            version=F("version") + 1,
            **release,
        )
    return updated


def _diff(old_status, new_status, old_steps, new_steps):
    changes = []
    if old_status != new_status:
        changes.append({"kind": "status", "from": old_status, "to": new_status})
    for fetched in new_steps:
        before = old_steps.get(fetched.uuid)
        if before is None:
            changes.append({"kind": "step_added", "step": fetched.name, "status": fetched.status})
        elif before.status != fetched.status:
            changes.append(
                {"kind": "step_status", "step": fetched.name, "from": before.status, "to": fetched.status}
            )
        elif before.info != fetched.info.raw:
            changes.append({"kind": "step_info", "step": fetched.name})
    return changes


def _failure_message(execution_status, steps):
    for step in reversed(steps):
        if step.failure_kind:
            message = step.messages[0] if step.messages else f"Step {step.status or 'failed'}"
            prefix = "Hidden failure: " if step.failure_kind == FailureKind.HIDDEN else ""
            return f"{prefix}{step.name}: {message}" if step.name else f"{prefix}{message}"
    if is_failure_status(execution_status):
        return f"Execution {execution_status}"
    return ""


def apply_changed(execution, fetched, new_hash, now, claim_token):
    """Apply a changed payload. Returns False if the claim was lost meanwhile."""
    with transaction.atomic():
        current = (
            Execution.objects.select_for_update().filter(pk=execution.pk, claim_token=claim_token).first()
        )
        if current is None:
            return False
        old_steps = {str(s.uuid): s for s in current.steps.all()}
        changes = _diff(current.status, fetched.status, old_steps, fetched.steps)

        steps, to_create, to_update = [], [], []
        for position, fetched_step in enumerate(fetched.steps):
            step = old_steps.get(fetched_step.uuid) or Step(execution=current, uuid=fetched_step.uuid)
            step.position = position
            step.name = fetched_step.name[:500]
            step.status = fetched_step.status[:100]
            step.info = fetched_step.info.raw
            step.messages = list(fetched_step.info.messages)
            step.failure_kind = step_failure_kind(fetched_step.status, fetched_step.info.has_errors)
            step.executed_at = fetched_step.executed_at
            step.remote_created_at = fetched_step.created_at
            step.remote_updated_at = fetched_step.updated_at
            (to_update if step.pk else to_create).append(step)
            steps.append(step)
        seen = {s.uuid for s in fetched.steps}
        gone = [s.pk for key, s in old_steps.items() if key not in seen]
        if gone:
            # Steps never disappear in Plannr's model, but if they do, mirror it.
            Step.objects.filter(pk__in=gone).delete()
        if to_update:
            Step.objects.bulk_update(
                to_update,
                ["position", "name", "status", "info", "messages", "failure_kind", "executed_at",
                 "remote_created_at", "remote_updated_at"],
            )
        if to_create:
            Step.objects.bulk_create(to_create)

        next_step_uuid = fetched.next_step.uuid if fetched.next_step else None
        known = len(steps) + (1 if next_step_uuid and next_step_uuid not in seen else 0)
        done = sum(1 for s in steps if not is_running_status(s.status))
        finished = not is_running_status(fetched.status)

        next_poll_at, confirmed = next_poll_after_success(current, fetched.status, True, now)
        current.name = fetched.name[:500]
        current.status = fetched.status[:100]
        current.triggered_by = fetched.triggered_by[:255]
        current.remote_created_at = fetched.created_at
        current.remote_updated_at = fetched.updated_at
        current.account_uuid = fetched.account.uuid if fetched.account and fetched.account.uuid else None
        current.account_name = (fetched.account.name if fetched.account else "")[:500]
        current.next_step = _step_json(fetched.next_step)
        current.previous_step = _step_json(fetched.previous_step)
        current.steps_count = known
        current.steps_done = done
        current.is_finished = finished
        current.is_failing = any(s.failure_kind for s in steps) or is_failure_status(fetched.status)
        current.failure_message = _failure_message(fetched.status, steps)
        current.poll_state = PollState.OK
        current.last_polled_at = now
        current.next_poll_at = next_poll_at
        current.final_confirmed = confirmed
        current.last_poll_error = ""
        current.consecutive_errors = 0
        current.claim_token = None
        current.claimed_until = None
        current.payload_hash = new_hash
        current.version = current.version + 1
        current.save()
        Snapshot.objects.create(
            execution=current, fetched_at=now, payload=fetched.payload, payload_hash=new_hash, changes=changes
        )
        failures = detect_failures(current.status, steps)
        if failures:
            failures_detected.send(sender=Execution, execution=current, failures=failures)
    return True


def apply_results(executions, fetched_by_uuid, now, claim_token):
    """Apply a batch's answer. Returns (changed, unchanged, missing executions)."""
    unchanged, changed, missing = [], [], []
    for execution in executions:
        fetched = fetched_by_uuid.get(str(execution.uuid))
        if fetched is None:
            missing.append(execution)
        elif (digest := payload_hash(fetched.payload)) == execution.payload_hash:
            unchanged.append(execution)
        else:
            changed.append((execution, fetched, digest))
    apply_unchanged(unchanged, now, claim_token)
    for execution, fetched, digest in changed:
        apply_changed(execution, fetched, digest, now, claim_token)
    return len(changed), len(unchanged), missing
