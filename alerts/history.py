"""The per-failure history: one FailureEvent per failure, recorded in the ingest's transaction.

The alerts page lists it; messages are per incident (alerts/incident_alerts.py) and go
through the one outbox (channels/outbox.py).
"""

from django.db import transaction
from django.utils import timezone

from .models import FailureEvent

COVERED_BY_STEP = "Reported by the alert about the failed step."


def record_failures(execution, failures, now=None):
    """Write the events for `failures` (every failure the execution has). Returns the new ones.

    Idempotent: an event already recorded is skipped. Events are the per-failure
    history the alerts page lists; the emails are per incident
    (alerts/incident_alerts.py).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # One query for the common case, an execution whose failures are all known.
        known = set(FailureEvent.objects.filter(execution=execution).values_list("step_uuid", "kind"))
        new_events = []
        for failure in failures:
            if (failure.step_uuid or "", failure.kind) in known:
                continue
            event, created = FailureEvent.objects.get_or_create(
                execution=execution,
                step_uuid=failure.step_uuid or "",
                kind=failure.kind,
                defaults={
                    "step_name": (failure.step_name or "")[:500],
                    "status": (failure.status or "")[:100],
                    "messages": list(failure.messages or ()),
                    "raw_info": failure.raw_info or "",
                    "blueprint_name": (execution.name or "")[:500],
                    "client_name": (execution.account_name or "")[:500],
                    "detected_at": now,
                },
            )
            if created:
                new_events.append(event)
        _mark_covered(execution, new_events)
    return new_events


def _mark_covered(execution, new_events):
    """An execution that failed because one of its steps failed is the same failure:
    it belongs to the step's incident, and the alerts page lists it once."""
    if not any(e.on_execution for e in new_events):
        return
    if FailureEvent.objects.filter(execution=execution).exclude(step_uuid="").exists():
        for event in new_events:
            if event.on_execution:
                event.suppressed_reason = COVERED_BY_STEP
                event.save(update_fields=["suppressed_reason"])
