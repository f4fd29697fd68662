"""Every detected failure into exactly one incident, inside the ingest transaction.

An execution that failed because one of its steps failed belongs to that step's
incident: its own failure is grouped only when no step of it failed. Each
execution counts once per incident (a unique constraint), so re-sending the same
failures (every changed payload re-sends all of them) changes nothing.
"""

import uuid

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

import audit
from executions.models import FailureKind, Step

from . import fingerprint as fp
from . import hooks
from .models import Incident, Occurrence, Status, StatusChange
from .normaliser import failure_message
from .signals import incident_activity, status_changed

TITLE_LIMIT = 600
SAMPLE_LIMIT = 20_000
# pg_advisory_xact_lock key ("incident" in ASCII): see serialise().
GROUPING_LOCK = 0x696E636964656E74


def serialise():
    """Take the grouping lock until the transaction ends (PostgreSQL; SQLite serialises writers anyway).

    One ingest transaction groups many executions, locking incidents (and, through the
    alerts, users' preference rows) in whatever order its executions come. Two batches
    taking the same rows in different orders would deadlock; taking this one lock first
    makes them wait their turn instead. Re-entrant within a transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GROUPING_LOCK])


def grouped_failures(failures):
    """The failures that make occurrences: the steps', or else the execution's own."""
    steps = [f for f in failures if not f.on_execution]
    return steps or [f for f in failures if f.on_execution]


def make_title(step, message, family):
    if family == FailureKind.STALLED:
        return f"Stalled before {step}" if step else "Stalled"
    head = step or "Execution failed"
    return f"{head}: {message}"[:TITLE_LIMIT] if message else head[:TITLE_LIMIT]


def client_key(execution):
    return str(execution.account_uuid) if execution.account_uuid else (execution.account_name or "")


def record(execution, failures, now=None):
    """Group `failures` (every failure the execution has). Returns the new occurrences."""
    now = now or timezone.now()
    chosen = grouped_failures(failures)
    if not chosen:
        return []
    with transaction.atomic():
        serialise()
        known = set(Occurrence.objects.filter(execution=execution).values_list("incident__fingerprint", flat=True))
        ran_at = dict(
            Step.objects.filter(execution=execution, uuid__in=[f.step_uuid for f in chosen if f.step_uuid])
            .values_list("uuid", "executed_at")
        )
        created = []
        for failure in chosen:
            key, step, family, message = fp.of_failure(execution.name, failure)
            if key in known:
                continue
            known.add(key)
            occurred_at = ran_at.get(_uuid(failure.step_uuid)) or execution.remote_updated_at
            created.append(
                add_occurrence(
                    execution,
                    key,
                    now,
                    step=step,
                    family=family,
                    message=message,
                    step_uuid=failure.step_uuid,
                    status=failure.status,
                    messages=list(failure.messages or ()),
                    raw_info=failure.raw_info or "",
                    occurred_at=occurred_at,
                )
            )
    return [o for o in created if o is not None]


def _uuid(value):
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


def add_occurrence(execution, key, now, *, step, family, message, step_uuid, status, messages, raw_info,
                   occurred_at, title=None, blueprint=None):
    """One occurrence of the incident `key` (created if new); sends `incident_activity`.

    `family` is the incident's FailureKind, and the occurrence's kind.

    Call inside a transaction (the lock below lasts until it ends). `title`: a new incident's
    own title (an expectation's breach), instead of one made from the step and message.
    `execution` None: a missing incident of `blueprint` (its name), which has no stored
    execution; such an incident has at most one occurrence without an execution.
    """
    serialise()
    title = (title or make_title(step, failure_message(messages, raw_info, status), family))[:TITLE_LIMIT]
    incident, created = Incident.objects.get_or_create(
        fingerprint=key,
        defaults={
            "blueprint_name": ((execution.name if execution else blueprint) or "")[:500],
            "step_name": (step or "")[:500],
            "family": family,
            "message": message[:500],
            "title": title,
            "sample_info": raw_info[:SAMPLE_LIMIT],
            "sample_messages": messages[:20],
            "status_changed_at": now,
            "opened_at": now,
            "first_seen": now,
            "last_seen": now,
        },
    )
    if not created:
        # Serialises concurrent polls adding to one incident: counts stay exact.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if Occurrence.objects.filter(incident=incident, execution=execution).exists():
        return None
    client = client_key(execution) if execution else ""
    new_client = bool(client) and not Occurrence.objects.filter(incident=incident, client_key=client).exists()
    occurrence = Occurrence.objects.create(
        incident=incident,
        execution=execution,
        kind=family,
        step_uuid=step_uuid or "",
        status=(status or "")[:100],
        client_name=((execution.account_name if execution else "") or "")[:500],
        client_key=client[:500],
        messages=messages[:20],
        raw_info=raw_info[:SAMPLE_LIMIT],
        occurred_at=occurred_at,
        detected_at=now,
    )
    event = "opened" if created else "occurred"
    incident.occurrences += 1
    incident.clients += 1 if new_client else 0
    incident.last_seen = max(incident.last_seen, now)
    incident.severity = hooks.severity_of(incident)
    if incident.status == Status.RESOLVED:
        event = "regressed"
        set_status(incident, Status.OPEN, None, now, "Occurred again after it was resolved.", automatic=True)
        incident.regression = True
        incident.opened_at = now
    elif incident.status == Status.SNOOZED and incident.snooze_until_occurrences is not None and (
        incident.occurrences >= incident.snooze_until_occurrences
    ):
        set_status(
            incident, Status.OPEN, None, now, "The snooze ended: its occurrences were reached.", automatic=True
        )
    incident.version = F("version") + 1
    incident.save()
    incident.refresh_from_db(fields=["version"])
    incident_activity.send(sender=Incident, incident=incident, occurrence=occurrence, event=event, now=now)
    return occurrence


def set_status(incident, status, by, now, note="", *, automatic=False):
    """Change the status in memory and write the history and audit rows; the caller saves the incident.

    `automatic`: the product changed it by itself (a regression, a snooze ending, a stall
    clearing), so the audit row is the system's, not the user whose request set it off.
    """
    StatusChange.objects.create(
        incident=incident, from_status=incident.status, to_status=status, by=by, note=note[:300], at=now
    )
    after = {"status": status, "note": note} if note else {"status": status}
    audit.record(
        "incident.status", actor=by, actor_name=audit.SYSTEM if automatic else "",
        target=f"incident:{incident.pk}", before={"status": incident.status}, after=after,
    )
    # Acknowledging, resolving, snoozing or ignoring stops the escalation and tells PagerDuty.
    status_changed.send(sender=Incident, incident=incident, status=status, now=now)
    incident.status = status
    incident.status_changed_at = now
    incident.status_changed_by = by
    if status != Status.SNOOZED:
        incident.snoozed_until = None
        incident.snooze_until_occurrences = None
    if status == Status.RESOLVED:
        incident.regression = False
