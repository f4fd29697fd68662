"""Apply a fetched execution to the database.

An unchanged payload (same canonical-JSON hash) costs one shared UPDATE per batch
for its poll bookkeeping and writes no snapshot. The changed ones of a batch are
applied together in one transaction: steps upserted, a snapshot with what changed, the denormalised
fields the pages read, and the `failures_detected` signal, so that the alert rows
are written atomically with the change that caused them.
"""

import hashlib
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .failures import detect_failures, is_failure_status, is_running_status, step_failure_kind
from .models import Execution, FailureKind, PollState, Snapshot, Step
from .plannr.text import clean_payload, clean_text, escaped_json
from .plannr.types import PlannrExecution
from .signals import failures_detected

logger = logging.getLogger("executions.ingest")


def payload_hash(payload):
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # surrogatepass: a lone surrogate from a `\\ud800` escape is data, not an error.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


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


_STEP_FIELDS = [
    "position", "name", "status", "info", "messages", "failure_kind", "executed_at",
    "remote_created_at", "remote_updated_at",
]
_EXECUTION_FIELDS = [
    "name", "status", "triggered_by", "remote_created_at", "remote_updated_at", "account_uuid",
    "account_name", "next_step", "previous_step", "steps_count", "steps_done", "is_finished",
    "is_failing", "failure_message", "poll_state", "last_polled_at", "next_poll_at", "final_confirmed",
    "last_poll_error", "consecutive_errors", "claim_token", "claimed_until", "payload_hash", "version",
    "updated_at",
]


def _merge_steps(execution, fetched, old_steps, to_create, to_update):
    """Bring the execution's Step rows in line with the fetched steps; return them in order."""
    steps = []
    for position, fetched_step in enumerate(fetched.steps):
        step = old_steps.get(fetched_step.uuid) or Step(execution=execution, uuid=fetched_step.uuid)
        before = [getattr(step, f) for f in _STEP_FIELDS] if step.pk else None
        step.position = position
        step.name = fetched_step.name[:500]
        step.status = fetched_step.status[:100]
        step.info = fetched_step.info.raw
        step.messages = list(fetched_step.info.messages)
        step.failure_kind = step_failure_kind(fetched_step.status, fetched_step.info.has_errors)
        step.executed_at = fetched_step.executed_at
        step.remote_created_at = fetched_step.created_at
        step.remote_updated_at = fetched_step.updated_at
        if not step.pk:
            to_create.append(step)
        elif before != [getattr(step, f) for f in _STEP_FIELDS]:
            to_update.append(step)
        steps.append(step)
    return steps


def _update_execution(execution, fetched, steps, new_hash, now):
    seen = {s.uuid for s in fetched.steps}
    next_step_uuid = fetched.next_step.uuid if fetched.next_step else None
    next_poll_at, confirmed = next_poll_after_success(execution, fetched.status, True, now)
    execution.name = fetched.name[:500]
    execution.status = fetched.status[:100]
    execution.triggered_by = fetched.triggered_by[:255]
    execution.remote_created_at = fetched.created_at
    execution.remote_updated_at = fetched.updated_at
    execution.account_uuid = fetched.account.uuid if fetched.account and fetched.account.uuid else None
    execution.account_name = (fetched.account.name if fetched.account else "")[:500]
    execution.next_step = _step_json(fetched.next_step)
    execution.previous_step = _step_json(fetched.previous_step)
    # Steps known = run so far plus the one set to run next.
    execution.steps_count = len(steps) + (1 if next_step_uuid and next_step_uuid not in seen else 0)
    execution.steps_done = sum(1 for s in steps if not is_running_status(s.status))
    execution.is_finished = not is_running_status(fetched.status)
    execution.is_failing = any(s.failure_kind for s in steps) or is_failure_status(fetched.status)
    execution.failure_message = _failure_message(fetched.status, steps)
    execution.poll_state = PollState.OK
    execution.last_polled_at = now
    execution.next_poll_at = next_poll_at
    execution.final_confirmed = confirmed
    execution.last_poll_error = ""
    execution.consecutive_errors = 0
    execution.claim_token = None
    execution.claimed_until = None
    execution.payload_hash = new_hash
    execution.version += 1
    execution.updated_at = now


def apply_changed(changed, now, claim_token):
    """Apply changed payloads [(execution, fetched or payload, hash)]. Returns how many were applied.

    All together in one transaction first; if that fails, one transaction per
    execution, so that one execution Plannr sent that we cannot store is recorded as
    invalid on its own row and the rest of the batch still applies.
    Rows whose claim was lost meanwhile are skipped.
    """
    if not changed:
        return 0
    try:
        return _apply_together(changed, now, claim_token)
    except Exception:
        if len(changed) == 1:
            return _apply_alone(changed[0], now, claim_token)
        logger.warning("a batch's changes failed together; applying them one by one", exc_info=True)
    return sum(_apply_alone(item, now, claim_token) for item in changed)


def _apply_alone(item, now, claim_token):
    try:
        return _apply_together([item], now, claim_token)
    except Exception as exc:
        execution = item[0]
        message = clean_text(f"Could not store what Plannr sent ({type(exc).__name__}): {exc}")[:1000]
        logger.warning("execution %s: %s", execution.uuid, message)
        mark_invalid(execution, message, now, claim_token)
        return 0


def mark_invalid(execution, message, now, claim_token):
    """Record on one execution that its payload could not be applied, and back off."""
    errors = execution.consecutive_errors + 1
    rows = Execution.objects.filter(pk=execution.pk)
    if claim_token is not None:
        rows = rows.filter(claim_token=claim_token)
    rows.update(
        claim_token=None, claimed_until=None, last_polled_at=now, poll_state=PollState.INVALID,
        last_poll_error=message, consecutive_errors=errors,
        next_poll_at=now + timedelta(seconds=_backoff_seconds(errors)), version=F("version") + 1,
    )


def _backoff_seconds(errors):
    from .polling import backoff_seconds

    return backoff_seconds(errors)


def _parse(fetched):
    """A storable PlannrExecution, and the faithful payload when storing had to change it."""
    payload = fetched.payload if isinstance(fetched, PlannrExecution) else fetched
    clean, replaced = clean_payload(payload)
    if not replaced and isinstance(fetched, PlannrExecution):
        return fetched, ""
    return PlannrExecution.from_payload(clean), escaped_json(payload) if replaced else ""


def _apply_together(changed, now, claim_token):
    with transaction.atomic():
        rows = Execution.objects.select_for_update().filter(pk__in=[e.pk for e, _, _ in changed])
        if claim_token is not None:
            rows = rows.filter(claim_token=claim_token)
        current = {e.pk: e for e in rows}
        old_steps = {}
        for step in Step.objects.filter(execution_id__in=current):
            old_steps.setdefault(step.execution_id, {})[str(step.uuid)] = step
        to_create, to_update, gone, snapshots, signals, applied = [], [], [], [], [], []
        for stale, fetched, new_hash in changed:
            execution = current.get(stale.pk)
            if execution is None:
                continue
            fetched, raw = _parse(fetched)
            previous = old_steps.get(execution.pk, {})
            changes = _diff(execution.status, fetched.status, previous, fetched.steps)
            steps = _merge_steps(execution, fetched, previous, to_create, to_update)
            seen = {s.uuid for s in fetched.steps}
            # Steps never disappear in Plannr's model, but if they do, mirror it.
            gone += [s.pk for key, s in previous.items() if key not in seen]
            _update_execution(execution, fetched, steps, new_hash, now)
            applied.append(execution)
            snapshots.append(
                Snapshot(execution=execution, fetched_at=now, payload=fetched.payload, raw_payload=raw,
                         payload_hash=new_hash, changes=changes)
            )
            failures = detect_failures(execution.status, steps)
            if failures:
                signals.append((execution, failures))
        if gone:
            Step.objects.filter(pk__in=gone).delete()
        # Row-by-row saves: Django's bulk_update builds CASE expressions in Python
        # and costs ~10x more per row than plain UPDATEs inside one transaction.
        for step in to_update:
            step.save(update_fields=_STEP_FIELDS)
        Step.objects.bulk_create(to_create, batch_size=500)
        for execution in applied:
            execution.save(update_fields=_EXECUTION_FIELDS)
        Snapshot.objects.bulk_create(snapshots, batch_size=200)
        for execution, failures in signals:
            failures_detected.send(sender=Execution, execution=execution, failures=failures)
    return len(snapshots)


def apply_results(executions, fetched_by_uuid, now, claim_token):
    """Apply a batch's answer. Returns (changed, unchanged, missing executions).

    `fetched_by_uuid` maps a uuid to a `PlannrExecution` or to the payload as Plannr
    sent it (`PlannrClient.get_payloads`, which checked it is readable). A payload is
    parsed only when its hash changed: most polls of a running execution change
    nothing, and parsing every step of every execution was a third of a batch's time.
    """
    unchanged, changed, missing = [], [], []
    for execution in executions:
        fetched = fetched_by_uuid.get(str(execution.uuid))
        if fetched is None:
            missing.append(execution)
            continue
        payload = fetched.payload if isinstance(fetched, PlannrExecution) else fetched
        digest = payload_hash(payload)
        if digest == execution.payload_hash:
            unchanged.append(execution)
        else:
            changed.append((execution, fetched, digest))
    apply_unchanged(unchanged, now, claim_token)
    apply_changed(changed, now, claim_token)
    return len(changed), len(unchanged), missing
