"""Escalation policies: "after M minutes unacknowledged, notify X", then repeat the last step.

- `start` (alerts.incident_alerts, on open and regression, when the incident's route has
  steps; in the transaction that recorded it) writes the
  incident's `Escalation` row, due at the first step; a regression starts it again.
- `stop` (incidents' `status_changed` signal: acknowledge, resolve, snooze and ignore)
  clears `next_at`, so nothing more is due.
- `take_due` (beat, every ESCALATION_CHECK_SECONDS) reads every due row, its incident,
  route and steps in three queries however many there are, then takes each step in its
  own transaction: the step's alert (`notify`), a line in
  the incident's history and an `incident.escalate` audit row, and the next due time.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

import audit
from incidents.models import Status, StatusChange

from .matching import own_channels
from .models import Escalation

logger = logging.getLogger("routing")

STOPPING = (Status.ACKNOWLEDGED, Status.RESOLVED, Status.SNOOZED, Status.IGNORED)


def start(incident, route, now):
    steps = list(route.steps.all())
    if not steps:
        return None
    escalation, _ = Escalation.objects.update_or_create(
        incident=incident,
        defaults={"route": route, "started_at": now, "taken": 0, "stopped_reason": "",
                  "next_at": now + timedelta(minutes=steps[0].after_minutes)},
    )
    return escalation


def stop(sender, incident, status, **kwargs):
    """incidents' `status_changed`: acknowledged, resolved, snoozed or ignored, so no more steps."""
    if status in STOPPING and incident.pk:
        Escalation.objects.filter(incident_id=incident.pk, next_at__isnull=False).update(
            next_at=None, stopped_reason=status
        )


def next_due(escalation, steps, now):
    """When the step after `escalation.taken` steps is due, or None when the policy is done."""
    taken, route = escalation.taken, escalation.route
    if taken < len(steps):
        return escalation.started_at + timedelta(minutes=steps[taken].after_minutes)
    repeats = taken - len(steps)
    if route.repeat_minutes and repeats < route.max_repeats:
        return now + timedelta(minutes=route.repeat_minutes)
    return None


def _targets(step):
    """(user ids, channel ids) of one step."""
    from accounts.roles import triagers

    if step.operators:
        return list(triagers().filter(is_active=True).values_list("pk", flat=True)), []
    if step.channel_id:
        return [], [step.channel_id]
    if not step.user_id:
        return [], []
    # A person is paged where they are: their email and their own channels (their PagerDuty).
    return [step.user_id], own_channels([step.user_id])


def take_due(notify, now=None, limit=500):
    """Take every due step; `notify(incident, route, user_ids, channel_ids, now)` writes the
    step's alert (alerts.incident_alerts.escalation_alert: alerts sit above routing). Returns
    how many steps were taken."""
    now = now or timezone.now()
    due = list(
        Escalation.objects.filter(next_at__lte=now)
        .select_related("incident", "route")
        .prefetch_related("route__steps__user")
        .order_by("next_at")[:limit]
    )
    taken = 0
    for escalation in due:
        steps = list(escalation.route.steps.all())
        with transaction.atomic():
            # Claimed by moving next_at on: a second beat (or a slow one) takes nothing twice.
            mine = Escalation.objects.filter(pk=escalation.pk, next_at=escalation.next_at, taken=escalation.taken)
            incident = escalation.incident
            if incident.status != Status.OPEN or not steps:
                mine.update(next_at=None, stopped_reason=incident.status)
                continue
            step = steps[min(escalation.taken, len(steps) - 1)]
            number = escalation.taken + 1
            escalation.taken = number
            following = next_due(escalation, steps, now)
            if not mine.update(taken=number, next_at=following):
                continue
            user_ids, channel_ids = _targets(step)
            notify(incident, escalation.route, user_ids, channel_ids, now)
            repeat = number > len(steps)
            note = (f"Escalation ({escalation.route.name}): {'repeat of ' if repeat else ''}step "
                    f"{min(number, len(steps))}, {step.after_minutes} min unacknowledged: notified {step.describe()}.")
            StatusChange.objects.create(incident=incident, from_status=incident.status, to_status=incident.status,
                                        by=None, note=note[:300], at=now)
            audit.record("incident.escalate", actor_name=audit.SYSTEM, target=f"incident:{incident.pk}",
                         after={"route": escalation.route.pk, "step": min(number, len(steps)), "repeat": repeat,
                                "notified": step.describe()})
            taken += 1
    if taken:
        logger.info("escalation: %d step(s) taken", taken, extra={"escalation_steps": taken})
    return taken
