"""What an alert or a digest says when it is due, to the one outbox (channels/outbox.py).

Registered in AlertsConfig.ready() as the composers of the "alert" and "digest" topics:
the outbox claims a row, asks here what to send (or whether it is still wanted), and
sends it through the destination's channel kind. Nothing here talks to SMTP or HTTP.
"""

from django.db import transaction

from channels.models import Delivery, DeliveryState
from channels.outbox import Cancel, Message, fail_held
from incidents.models import Status

from . import channel_alerts, emails, recipients
from .models import AlertPreference
from .preferences import lock_preferences


def _preference(user_id):
    preference, _ = AlertPreference.objects.select_related("user").get_or_create(user_id=user_id)
    return preference


def _incident_reason(alert):
    incident = alert.incident
    if incident.status != Status.OPEN:
        return f"The incident was {incident.get_status_display().lower()} before this alert was sent."
    return ""


def compose_alert(row, now):
    """An incident alert to a user's email address or to a channel."""
    if row.alert_id is None:
        # A per-failure email from before incidents: that path has no producer any more.
        return Cancel("Per-failure emails are no longer sent; the incident's alert says it.")
    if row.channel_id:
        reason = _incident_reason(row.alert)
        return Cancel(reason) if reason else channel_alerts.compose(row)
    preference = _preference(row.user_id)
    if not row.user.is_active:
        return Cancel("The account is inactive.")
    if not preference.enabled:
        return Cancel("Alerts were turned off before this alert was sent.")
    if reason := _incident_reason(row.alert):
        return Cancel(reason)
    if not emails.affected_for(row)[1] and not recipients.hears_without_execution(row.user_id, row.alert.incident):
        return Cancel("None of the executions it is about is watched (unmuted) any more.")
    return Message(emails.incident_notification(row, preference), address=preference.address)


def compose_digest(digest, now):
    """The email listing a window's held alerts, due when the window ends.

    The list is read under the user's preference lock, after the claim: throttle.admit
    (which holds the same lock) either committed its held row before, or sees the digest
    claimed and opens a new window. So the list is final, and nothing held is left behind.
    """
    with transaction.atomic():
        preference = lock_preferences([digest.user_id])[digest.user_id]
        held = list(
            digest.held_deliveries.filter(state=DeliveryState.HELD)
            .select_related("alert__incident", "user")
            .order_by("created_at", "pk")
        )
    if not preference.enabled or not digest.user.is_active:
        reason = "Alerts were turned off before the digest was sent."
        _cancel_held(digest, [d.pk for d in held], now, reason)
        return Cancel(reason)
    wanted, unwanted = [], []
    for delivery in held:
        gone = delivery.alert_id is None or delivery.alert.incident.status != Status.OPEN
        gone = gone or not emails.affected_for(delivery)[1]
        (unwanted if gone else wanted).append(delivery)
    if unwanted:
        _cancel_held(digest, [d.pk for d in unwanted], now,
                     "Muted, unwatched, or its incident quietened before the digest was sent.")
    if not wanted:
        return Cancel("Nothing left to send: every held alert was muted or unwatched.")

    def on_sent(address):
        Delivery.objects.filter(pk__in=[d.pk for d in wanted], state=DeliveryState.HELD).update(
            state=DeliveryState.SENT, sent_at=now, address=address, last_error="", updated_at=now
        )

    return Message(emails.digest_notification(digest, wanted, preference), address=preference.address,
                   on_sent=on_sent, on_failed=lambda at, error: fail_held(digest, at, error))


def _cancel_held(digest, pks, now, reason):
    Delivery.objects.filter(pk__in=pks, digest=digest, state=DeliveryState.HELD).update(
        state=DeliveryState.CANCELLED, last_error=reason, updated_at=now
    )
