"""Apply a fetched execution to the database.

An unchanged payload (same canonical-JSON hash) writes no snapshot, and nothing
at all when the dispatcher's claim already rescheduled it (polling.py). The changed ones of a batch are
applied together in one transaction: steps upserted, a snapshot with what changed, the denormalised
fields the pages read, and the `failures_detected` signal, so that the alert rows
are written atomically with the change that caused them.
"""

import hashlib
import json
import logging
from collections import namedtuple

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.db.models import F

from . import scheduling, sql
from .failures import detect_failures, is_failure_status, is_running_status, step_failure_kind
from .models import Execution, FailureKind, PollState, Snapshot, Step
from plannr.text import clean_payload, clean_text, escaped_json, is_storable
from plannr.types import PlannrExecution
from .signals import failures_detected
from privacy.redaction import redact_at_rest

logger = logging.getLogger("executions.ingest")


def payload_hash(payload):
    """sha256 of the canonical JSON (sorted keys, no spaces, UTF-8): the same digest either way."""
    try:
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:
        pass  # a lone surrogate, which orjson will not encode
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


def apply_unchanged(executions, now, claim_token, rescheduled_at=None):
    """Bookkeeping for executions whose payload did not change. Returns rows updated.

    The common case (running, last poll fine) is nothing at all when the claim already
    rescheduled them (`rescheduled_at`, and not too long ago), else one UPDATE for
    the whole batch.
    """
    kept = scheduling.stamped_by_claim(rescheduled_at, now)
    routine, other = [], []
    for execution in executions:
        if execution.poll_state == PollState.OK and is_running_status(execution.status):
            routine.append(execution.pk)
        else:
            other.append(execution)
    updated = 0
    if routine and not kept:
        updated += _mine(Execution.objects.filter(pk__in=routine), claim_token).release(
            last_polled_at=now, next_poll_at=scheduling.next_routine_poll(now)
        )
    for execution in other:
        next_poll_at, confirmed = scheduling.after_success(
            status=execution.status, poll_state=execution.poll_state, was_finished=execution.is_finished,
            changed=False, now=now,
        )
        # Back from an error, or confirmed finished: the page must show it, so bump the version.
        updated += _mine(Execution.objects.filter(pk=execution.pk), claim_token).release(
            last_polled_at=now, next_poll_at=next_poll_at, final_confirmed=confirmed, poll_state=PollState.OK,
            last_poll_error="", consecutive_errors=0, version=F("version") + 1,
        )
    return updated


def _mine(rows, claim_token):
    """Rows this poll may write: those still carrying its claim (any row when applying unclaimed)."""
    return rows if claim_token is None else rows.claimed_by(claim_token)


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
# A stored step as `_stored_steps` reads it: its id, then its columns.
_Stored = namedtuple("_Stored", ["id", *_STEP_FIELDS])


class _StepRow:
    """A fetched step as it is stored: the columns of its Step row (no model instance needed)."""

    __slots__ = ("execution_id", "uuid", *_STEP_FIELDS)

    def __init__(self, execution_id, position, fetched_step):
        self.execution_id, self.uuid, self.position = execution_id, fetched_step.uuid, position
        self.name = fetched_step.name[:500]
        self.status = fetched_step.status[:100]
        self.info = fetched_step.info.raw
        self.messages = list(fetched_step.info.messages)
        self.failure_kind = step_failure_kind(fetched_step.status, fetched_step.info.has_errors)
        self.executed_at = fetched_step.executed_at
        self.remote_created_at = fetched_step.created_at
        self.remote_updated_at = fetched_step.updated_at

    def values(self):
        return tuple(getattr(self, f) for f in _STEP_FIELDS)

    def row(self):
        return {"execution_id": self.execution_id, "uuid": self.uuid, **dict(zip(_STEP_FIELDS, self.values()))}


def _stored_steps(execution_ids):
    """{execution id: {step uuid: _Stored}}: one query for a batch's stored steps."""
    stored = {}
    for execution_id, step_uuid, *values in sql.read_rows(
        Step, ["execution_id", "uuid", "id", *_STEP_FIELDS], "execution_id", execution_ids
    ):
        stored.setdefault(execution_id, {})[step_uuid] = _Stored(*values)
    return stored


def _steps_to_write(steps, previous):
    """The steps that are new or differ from what is stored."""
    return [s for s in steps if (before := previous.get(s.uuid)) is None or before[1:] != s.values()]


def _new_state(execution, fetched, steps, new_hash, now):
    """Every column a changed payload writes, as one dict: set on the row and saved as is."""
    seen = {s.uuid for s in fetched.steps}
    next_step_uuid = fetched.next_step.uuid if fetched.next_step else None
    next_poll_at, confirmed = scheduling.after_success(
        status=fetched.status, poll_state=execution.poll_state, was_finished=execution.is_finished,
        changed=True, now=now,
    )
    return {
        "name": fetched.name[:500],
        "status": fetched.status[:100],
        "triggered_by": fetched.triggered_by[:255],
        "remote_created_at": fetched.created_at,
        "remote_updated_at": fetched.updated_at,
        "account_uuid": fetched.account.uuid if fetched.account and fetched.account.uuid else None,
        "account_name": (fetched.account.name if fetched.account else "")[:500],
        "next_step": _step_json(fetched.next_step),
        "previous_step": _step_json(fetched.previous_step),
        # Steps known = run so far plus the one set to run next.
        "steps_count": len(steps) + (1 if next_step_uuid and next_step_uuid not in seen else 0),
        "steps_done": sum(1 for s in steps if not is_running_status(s.status)),
        "is_finished": not is_running_status(fetched.status),
        "is_failing": any(s.failure_kind for s in steps) or is_failure_status(fetched.status),
        "failure_message": _failure_message(fetched.status, steps),
        "poll_state": PollState.OK,
        "last_polled_at": now,
        "next_poll_at": next_poll_at,
        "final_confirmed": confirmed,
        "last_poll_error": "",
        "consecutive_errors": 0,
        "claim_token": None,
        "claimed_until": None,
        "payload_hash": new_hash,
        "updated_at": now,
    }


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
    _mine(Execution.objects.filter(pk=execution.pk), claim_token).release(
        last_polled_at=now, poll_state=PollState.INVALID, last_poll_error=message, consecutive_errors=errors,
        next_poll_at=scheduling.after_error(errors, now), version=F("version") + 1,
    )


def _parse(fetched):
    """A storable PlannrExecution, and the faithful payload when storing had to change it."""
    payload = fetched.payload if isinstance(fetched, PlannrExecution) else fetched
    if settings.REDACT_AT_REST:  # before anything is stored or derived from it (docs/personal-data.md)
        payload, fetched = redact_at_rest(payload), None
    clean, replaced = (payload, False) if is_storable(payload) else clean_payload(payload)
    if not replaced and isinstance(fetched, PlannrExecution):
        return fetched, ""
    return PlannrExecution.from_payload(clean), escaped_json(payload) if replaced else ""


def _apply_together(changed, now, claim_token):
    with transaction.atomic():
        parsed = []
        for execution, fetched, new_hash in changed:
            fetched, raw = _parse(fetched)
            steps = [_StepRow(execution.pk, position, step) for position, step in enumerate(fetched.steps)]
            parsed.append((execution, fetched, raw, steps, _new_state(execution, fetched, steps, new_hash, now)))
        # The rows still ours get their new state first; that statement is also the
        # claim check and takes the row locks (executions/sql.py).
        versions = sql.write_states([{"id": e.pk, **state} for e, _, _, _, state in parsed], claim_token)
        # An execution never stored before has no steps to read.
        stored = _stored_steps([e.pk for e, *_ in parsed if e.pk in versions and e.payload_hash])
        to_write, gone, snapshots, signals = [], [], [], []
        for execution, fetched, raw, steps, state in parsed:
            if execution.pk not in versions:
                continue  # the claim was lost meanwhile
            previous = stored.get(execution.pk, {})
            to_write += _steps_to_write(steps, previous)
            seen = {s.uuid for s in steps}
            # Steps never disappear in Plannr's model, but if they do, mirror it.
            gone += [before.id for key, before in previous.items() if key not in seen]
            snapshots.append(
                {"execution_id": execution.pk, "fetched_at": now, "payload": fetched.payload, "raw_payload": raw,
                 "payload_hash": state["payload_hash"],
                 "changes": _diff(execution.status, fetched.status, previous, fetched.steps)}
            )
            failures = detect_failures(state["status"], steps)
            if failures:
                current = Execution(id=execution.pk, uuid=execution.uuid, version=versions[execution.pk], **state)
                signals.append((current, failures))
        if gone:
            Step.objects.filter(pk__in=gone).delete()
        # Set-based: one statement each for steps and snapshots (executions/sql.py).
        # Steps of executions never stored before cannot clash: a plain insert (COPY).
        first = {e.pk for e, *_ in parsed if not e.payload_hash}
        sql.insert_rows(Step, [step.row() for step in to_write if step.execution_id in first])
        sql.insert_rows(
            Step, [step.row() for step in to_write if step.execution_id not in first],
            conflict=("execution_id", "uuid"), update=_STEP_FIELDS,
        )
        sql.insert_rows(Snapshot, snapshots)
        for execution, failures in signals:
            failures_detected.send(sender=Execution, execution=execution, failures=failures)
    return len(snapshots)


def apply_results(executions, fetched_by_uuid, now, claim_token, rescheduled_at=None):
    """Apply a batch's answer. Returns (changed, unchanged, missing executions).

    `rescheduled_at`: when the claim already wrote what a routine unchanged poll writes.
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
    apply_unchanged(unchanged, now, claim_token, rescheduled_at)
    apply_changed(changed, now, claim_token)
    return len(changed), len(unchanged), missing

