"""Alerts per incident, not per failure: recorded in the transaction that caused them.

- A new incident or a regression makes one alert. Each recipient (alerts/recipients.py)
  gets one delivery, due INCIDENT_ALERT_WINDOW_SECONDS later: occurrences that follow
  within that window are folded into it (the email is rendered when it is sent).
- A later occurrence tells only the recipients not yet told in this episode (since
  the incident opened or regressed): they join the current alert while its window is
  open, or get an alert of their own.
- While the incident stays open, a reminder sums up the occurrences detected since
  the last alert, at most every INCIDENT_REMINDER_MINUTES and only if there were any
  (`record_reminders`, run by the sweeper).
- Acknowledged, snoozed and ignored incidents stay quiet.
- Routes (routing/) choose the recipients: the first matching route's users and channels,
  else the default route (the watchers and subscribers, as above). The reminder is the
  default policy's repeat; an incident under a route's escalation policy gets the
  policy's steps and repeats instead (routing/escalation.py).
The hourly throttle and its digest still apply to every delivery, as a safety net.
Each alert also goes to channels (alerts/channel_alerts.py): the recipients' own
chat and webhook channels, and the organisation channels attached to the monitors
that found the affected executions. Every destination is one row of the one outbox,
channels.models.Delivery: per (alert, user) for email, per (alert, channel) otherwise.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Subquery
from django.utils import timezone

from channels.models import Delivery, DeliveryState, Kind
from channels.outbox import queue_on_commit
from channels.senders import EMAIL_EXECUTIONS
from incidents.grouping import serialise
from incidents.models import QUIET, Incident, Occurrence, Status
from routing import escalation
from routing.models import Escalation

from . import channel_alerts, recipients, throttle
from .models import Alert, AlertEvent
from .preferences import lock_preferences


def _window():
    return timedelta(seconds=settings.INCIDENT_ALERT_WINDOW_SECONDS)


def on_activity(incident, occurrence, event, enqueue, now=None):
    """An occurrence was recorded (incidents' `event`: opened, regressed or occurred; the first
    two are AlertEvents of the same name). Returns the new email deliveries."""
    now = now or timezone.now()
    if incident.status in QUIET or incident.status == Status.RESOLVED:
        return []
    monitors = recipients.monitors_of(occurrence)
    who, routed, route = recipients.for_incident(incident, [occurrence.execution_id], monitors)
    if event in (AlertEvent.OPENED, AlertEvent.REGRESSED):
        if route is not None:  # a new episode: its route's escalation policy starts (again)
            escalation.start(incident, route, now)
        alert = Alert.objects.create(
            incident=incident, kind=event, fold_until=now + _window(), created_at=now, route=route
        )
        return _deliver(alert, who, now, enqueue, [occurrence.execution_id], monitor_ids=monitors, routed=routed)
    episode = Alert.objects.filter(incident=incident, created_at__gte=incident.opened_at)
    told = set(Delivery.objects.alert_emails().filter(alert__in=episode).values_list("user_id", flat=True))
    new = {user_id: ids for user_id, ids in who.items() if user_id not in told}
    told_channels = channel_alerts.told_in(episode)
    new_channels = channel_alerts.candidates(who, [occurrence.execution_id], monitors, routed).exclude(
        pk__in=told_channels
    )
    if not new and not new_channels.exists():
        return []
    current = episode.exclude(kind=AlertEvent.REMINDER).order_by("-fold_until").first()
    if current is None or current.fold_until <= now:
        kind = current.kind if current else AlertEvent.OPENED
        current = Alert.objects.create(
            incident=incident, kind=kind, fold_until=now + _window(), created_at=now, route=route
        )
    return _deliver(current, new, now, enqueue, [occurrence.execution_id], told_channels, monitor_ids=monitors,
                    routed=routed)


def _deliver(alert, who, now, enqueue, execution_ids, told_channels=(), monitor_ids=(), routed=None):
    """The alert's email deliveries to `who` and its channel deliveries (`routed`: a route's channels)."""
    preferences = lock_preferences(who)
    deliveries = []
    for user_id, preference in preferences.items():
        if not preference.enabled:
            continue
        [(state, window, digest)] = throttle.admit(user_id, 1, now)
        deliveries.append(
            Delivery(
                alert=alert, user_id=user_id, kind=Kind.EMAIL, state=state, window=window, digest=digest,
                next_attempt_at=alert.fold_until, created_at=now,
            )
        )
    Delivery.objects.bulk_create(deliveries)
    queue_on_commit(enqueue, [d.pk for d in deliveries if d.state == DeliveryState.PENDING], alert.fold_until, now)
    # A user who turned alerts off hears nothing on their channels either.
    wanting = [user_id for user_id, preference in preferences.items() if preference.enabled]
    channel_alerts.record(alert, wanting, execution_ids, now, enqueue, told_channels, monitor_ids, routed)
    return deliveries


def escalation_alert(incident, route, user_ids, channel_ids, now, enqueue):
    """An escalation step's alert (routing/escalation.py): the episode so far, as a reminder,
    to the step's users and channels only. Call inside the step's transaction."""
    executions = list(
        Occurrence.objects.filter(incident=incident, detected_at__gte=incident.opened_at)
        .exclude(execution__isnull=True).values_list("execution_id", flat=True)[:EMAIL_EXECUTIONS]
    )
    alert = Alert.objects.create(
        incident=incident, kind=AlertEvent.REMINDER, since=incident.opened_at - timedelta(microseconds=1),
        fold_until=now, created_at=now, route=route,
    )
    who = {user_id: executions for user_id in user_ids}
    return _deliver(alert, who, now, enqueue, executions, routed=list(channel_ids))


def reminders_due(now):
    """Open incidents alerted at least INCIDENT_REMINDER_MINUTES ago and seen since."""
    last = Alert.objects.filter(incident=OuterRef("pk")).order_by("-fold_until").values("fold_until")[:1]
    cutoff = now - timedelta(minutes=settings.INCIDENT_REMINDER_MINUTES)
    return (
        Incident.objects.filter(status=Status.OPEN)
        .filter(Exists(Alert.objects.filter(incident=OuterRef("pk"))))
        # An escalation policy's repeats replace the reminder (routing/escalation.py).
        .exclude(Exists(Escalation.objects.filter(incident=OuterRef("pk"))))
        .annotate(last_alerted=Subquery(last))
        .filter(last_alerted__lte=cutoff, last_seen__gt=F("last_alerted"))
    )


def record_reminders(enqueue, now=None, limit=200):
    """Write the due reminders (one transaction per incident). Returns how many."""
    now = now or timezone.now()
    made = 0
    for incident in reminders_due(now)[:limit]:
        with transaction.atomic():
            serialise()  # the same order of locks as the ingest's (incidents/grouping.py)
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            since = Alert.objects.filter(incident=locked).aggregate(m=Max("fold_until"))["m"]
            if locked.status != Status.OPEN or since is None or locked.last_seen <= since:
                continue
            executions = list(
                Occurrence.objects.filter(incident=locked).since(since).values_list("execution_id", flat=True)
            )
            who, routed, route = recipients.for_incident(locked, executions)
            alert = Alert.objects.create(
                incident=locked, kind=AlertEvent.REMINDER, since=since, fold_until=now, created_at=now, route=route
            )
            _deliver(alert, who, now, enqueue, executions, routed=routed)
            made += 1
    return made
