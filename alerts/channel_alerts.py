"""Incident alerts to channels: one Delivery per (alert, channel), beside the recipients' emails.

Which channels hear about an alert:
- each recipient's own channels other than email (their email is their `user` Delivery);
- organisation channels attached to a monitor that found one of the affected executions.
Rows are written in the alert's transaction, due when its fold window ends, and sent by
the one outbox (channels/outbox.py). Each destination lists as many affected executions
as its kind does (channels.senders.executions_cap) and says how many there were.
"""

from django.conf import settings
from django.db.models import Q

from channels.messages import Notification
from channels.models import Channel, Delivery, DeliveryState, Kind
from channels.outbox import Message, queue_on_commit
from channels.senders import executions_cap

from . import emails, recipients
from .models import AlertEvent
from .notifications import incident_body


def channels_for(user_ids, execution_ids, monitor_ids=()):
    """The channels to tell: the users' own non-email channels, and the organisation
    channels of the monitors that found these executions (or of `monitor_ids`:
    recipients.monitors_of)."""
    own = Q(owner_id__in=list(user_ids), owner__is_active=True) & ~Q(kind=Kind.EMAIL)
    organisation = Q(owner__isnull=True) & (
        Q(monitors__findings__execution_id__in=[pk for pk in execution_ids if pk is not None])
        | Q(monitors__in=list(monitor_ids))
    )
    return Channel.objects.filter(own | organisation).distinct()


def candidates(user_ids, execution_ids, monitor_ids=(), routed=None):
    """The channels to tell: a route's own (`routed`, a list of ids), else `channels_for`."""
    if routed is not None:
        return Channel.objects.filter(pk__in=list(routed))
    return channels_for(user_ids, execution_ids, monitor_ids)


def record(alert, user_ids, execution_ids, now, enqueue=None, told=(), monitor_ids=(), routed=None):
    """Write the alert's channel deliveries (none for a channel in `told`); queue them on commit."""
    channels = {c.pk: c.kind for c in candidates(user_ids, execution_ids, monitor_ids, routed).exclude(pk__in=list(told))}
    rows = [
        Delivery(alert=alert, channel_id=pk, kind=kind, next_attempt_at=alert.fold_until, created_at=now)
        for pk, kind in sorted(channels.items())
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Delivery.objects.filter(alert=alert, channel_id__in=list(channels), state=DeliveryState.PENDING)
        .values_list("pk", flat=True)
    )
    queue_on_commit(enqueue, ids, alert.fold_until, now)
    return ids


def told_in(episode):
    return set(
        Delivery.objects.to_channels().filter(alert__in=episode).values_list("channel_id", flat=True)
    )


def _scope_of(row):
    """The occurrences a channel hears about: its owner's, or all of the alert's for an organisation channel."""
    occurrences = emails.alert_scope(row.alert)
    if row.channel.owner_id and not row.alert.route_id:
        occurrences = occurrences.filter(execution_id__in=recipients.executions_of(row.channel.owner_id))
    return occurrences


def compose(row):
    """The alert as this channel's kind says it: at most its kind's cap of executions, and the total."""
    alert, incident = row.alert, row.alert.incident
    scope = _scope_of(row)
    cap = executions_cap(row.channel.kind)
    rows = list(scope.select_related("execution").order_by("-detected_at", "-id")[:cap]) if cap else []
    total = scope.count() if len(rows) >= cap else len(rows)
    url = emails.incident_url(incident)
    template = f"incident_{alert.kind}"
    context = {
        "incident": incident,
        "alert": alert,
        "headline": emails.headline(incident),
        "blueprint": incident.blueprint_name or "Unnamed blueprint",
        "subject_count": total if alert.kind == AlertEvent.REMINDER else incident.occurrences,
        "executions_total": total,
        "incident_url": url,
    }
    subject = emails.incident_subject(template, context)
    text = emails.render_body("alerts/channel/incident.txt", context)
    body = incident_body(incident, rows, total, url, settings.SITE_URL)
    return Message(Notification("incident", subject, text, "", url, body, event=alert.kind))
