"""Incident alerts to channels: one ChannelDelivery per (alert, channel), beside the email Deliveries.

Which channels hear about an alert:
- each recipient's own channels other than email (their email is their Delivery);
- organisation channels attached to a monitor that found one of the affected executions.
Rows are written in the alert's transaction, due when its fold window ends, and go
through the same claim / backoff / sweep bookkeeping as email (alerts/outbox.py).
Every attempt at a row passes the row's `message_uuid` to channels.delivery.deliver,
so a webhook receiver sees one `webhook-id` however often it is retried.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels.delivery import deliver
from channels.messages import Notification
from channels.models import Channel, Kind
from incidents.models import Status

from . import emails, outbox, recipients
from .models import ChannelDelivery, OutboxState
from .notifications import KINDS, incident_body


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


def record(alert, user_ids, execution_ids, now, enqueue=None, told=(), monitor_ids=()):
    """Write the alert's channel deliveries (none for a channel in `told`); queue them on commit."""
    channel_ids = set(channels_for(user_ids, execution_ids, monitor_ids).values_list("pk", flat=True)) - set(told)
    rows = [
        ChannelDelivery(alert=alert, channel_id=pk, next_attempt_at=alert.fold_until, created_at=now)
        for pk in sorted(channel_ids)
    ]
    ChannelDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        ChannelDelivery.objects.filter(alert=alert, channel_id__in=channel_ids, state=OutboxState.PENDING)
        .values_list("pk", flat=True)
    )
    if ids and enqueue is not None:
        wait = (alert.fold_until - now).total_seconds()
        countdown = wait + 1 if wait > 0 else None
        transaction.on_commit(lambda: enqueue(ids, countdown=countdown), robust=True)
    return ids


def told_in(episode):
    return set(ChannelDelivery.objects.filter(alert__in=episode).values_list("channel_id", flat=True))


def send(pk, now=None, enqueue=None):
    """Claim and send one channel delivery. Returns the state it ended in, or None if not claimed."""
    now = now or timezone.now()
    token = outbox.claim_channel_delivery(pk, now)
    if token is None:
        return None
    row = ChannelDelivery.objects.select_related("alert__incident", "channel").filter(pk=pk).first()
    if row is None:
        return None
    incident = row.alert.incident
    if incident.status != Status.OPEN:
        reason = f"The incident was {incident.get_status_display().lower()} before this alert was sent."
        outbox.mark_cancelled(row, token, now, reason)
        outbox.log_outcome(row, "cancelled")
        return row.state
    result = deliver(row.channel, notification(row), str(row.message_uuid), now=now)
    if result.ok:
        outbox.mark_sent(row, token, now, "")
        outbox.log_outcome(row, "sent")
        return row.state
    state, delay = outbox.mark_attempt_failed(row, token, now, result.error, permanent=not result.retryable)
    if state is None:
        outbox.log_outcome(row, "failed after losing its claim")
        return None
    outbox.log_outcome(row, "failed for good" if state == OutboxState.FAILED else "will retry")
    if state == OutboxState.RETRYING and enqueue is not None:
        enqueue([row.pk], countdown=delay)
    return state


def _scope_of(row):
    """The occurrences a channel hears about: its owner's, or all of the alert's for an organisation channel."""
    occurrences = emails.alert_scope(row.alert)
    if row.channel.owner_id:
        occurrences = occurrences.filter(execution_id__in=recipients.executions_of(row.channel.owner_id))
    return occurrences


def notification(row):
    alert, incident = row.alert, row.alert.incident
    scope = _scope_of(row)
    rows = list(scope.select_related("execution").order_by("-detected_at", "-id")[: emails.EMAIL_EXECUTIONS])
    total = scope.count() if len(rows) == emails.EMAIL_EXECUTIONS else len(rows)
    url = emails.incident_url(incident)
    template = f"incident_{alert.kind}"
    context = {
        "incident": incident,
        "alert": alert,
        "headline": emails.headline(incident),
        "blueprint": incident.blueprint_name or "Unnamed blueprint",
        "subject_count": total if alert.kind == "reminder" else incident.occurrences,
        "executions_total": total,
        "incident_url": url,
    }
    subject = emails.incident_subject(template, context)
    text = emails.render_body("alerts/channel/incident.txt", context)
    body = incident_body(incident, rows, total, url, settings.SITE_URL)
    return Notification(KINDS[alert.kind], subject, text, "", url, body)
