"""Sending one delivery or one digest: claim, check it is still wanted, send, record.

Each function is safe to call any number of times, from any number of workers:
only the caller whose conditional UPDATE claimed the row talks to SMTP.
"""

import smtplib
import socket

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from executions.models import Watch
from incidents.models import Status
from monitors.subscriptions import subscribers_for

from . import emails, outbox, recipients
from .models import AlertPreference, Delivery, Digest, OutboxState
from .preferences import lock_preferences

NO_ADDRESS = "No email address to send to: set one on the alert settings page."


def describe_error(exc):
    """A one-line reason for the alerts page and the log (no secrets in SMTP errors)."""
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        return f"The mail server refused the recipient: {codes}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server answered {exc.smtp_code}: {_text(exc.smtp_error)}"
    if isinstance(exc, (ConnectionError, socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected)):
        return f"Could not reach the mail server at {where}: {exc or type(exc).__name__}"
    if isinstance(exc, OSError):
        return f"Could not reach the mail server at {where}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def is_permanent(exc):
    """Only a refusal of the recipient itself is final; everything else may pass.

    A 5xx for the sender, authentication or the message is as likely to be our
    configuration as the message, and an operator can fix it: those retry until
    the attempts run out.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(code >= 500 for code, _ in exc.recipients.values())
    return False


def _watch_reason(user_id, execution_id):
    watch = Watch.objects.filter(user_id=user_id, execution_id=execution_id).only("muted").first()
    if watch is None:
        if user_id in subscribers_for([execution_id]).get(execution_id, ()):
            return ""  # alerted as a subscriber of a monitor that found it
        return "The execution was no longer watched when this alert was due."
    if watch.muted:
        return "The execution was muted before this alert was sent."
    return ""


def send_delivery(delivery_id, now=None, enqueue=None):
    """Send one alert email. Returns the state it ended in, or None if not claimed.

    `enqueue` (alerts.tasks.enqueue_deliveries) queues a retry; without it the
    sweeper alone picks retries up.
    """
    now = now or timezone.now()
    token = outbox.claim_delivery(delivery_id, now)
    if token is None:
        return None
    delivery = (
        Delivery.objects.select_related("event__execution", "alert__incident", "user").filter(pk=delivery_id).first()
    )
    if delivery is None:  # deleted with its user or execution meanwhile
        return None
    preference = _preference(delivery.user_id)

    reason = ""
    if not delivery.user.is_active:
        reason = "The account is inactive."
    elif not preference.enabled:
        reason = "Alerts were turned off before this alert was sent."
    elif delivery.alert_id:
        reason = _incident_reason(delivery)
    else:
        reason = _watch_reason(delivery.user_id, delivery.event.execution_id)
    if reason:
        outbox.mark_cancelled(delivery, token, now, reason)
        outbox.log_outcome(delivery, "cancelled")
        return delivery.state
    build = emails.incident_email if delivery.alert_id else emails.failure_email
    return _send(
        delivery, token, now, preference, enqueue, lambda address: build(delivery, preference, address)
    )


def _incident_reason(delivery):
    incident = delivery.alert.incident
    if incident.status != Status.OPEN:
        return f"The incident was {incident.get_status_display().lower()} before this alert was sent."
    if not emails.affected_for(delivery)[1] and not recipients.hears_without_execution(delivery.user_id, incident):
        return "None of the executions it is about is watched (unmuted) any more."
    return ""


def send_digest(digest_id, now=None, enqueue=None):
    """Send a window's digest listing its held deliveries. Same contract as send_delivery."""
    now = now or timezone.now()
    user_id = Digest.objects.filter(pk=digest_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return None
    with transaction.atomic():
        # Under the user's lock, so no alert is being added to it as it is claimed.
        preference = lock_preferences([user_id])[user_id]
        token = outbox.claim_digest(digest_id, now)
    if token is None:
        return None
    digest = Digest.objects.select_related("user", "window").filter(pk=digest_id).first()
    if digest is None:
        return None
    held = list(
        digest.deliveries.filter(state=OutboxState.HELD)
        .select_related("event__execution", "alert__incident")
        .order_by("created_at", "pk")
    )
    if not preference.enabled or not digest.user.is_active:
        reason = "Alerts were turned off before the digest was sent."
        _cancel_held(digest, [d.pk for d in held], now, reason)
        outbox.mark_cancelled(digest, token, now, reason)
        outbox.log_outcome(digest, "cancelled")
        return digest.state
    wanted, unwanted = [], []
    for delivery in held:
        if delivery.alert_id:
            gone = delivery.alert.incident.status != Status.OPEN or not emails.affected_for(delivery)[1]
        else:
            gone = _watch_reason(user_id, delivery.event.execution_id)
        (unwanted if gone else wanted).append(delivery)
    if unwanted:
        _cancel_held(
            digest, [d.pk for d in unwanted], now,
            "Muted, unwatched, or its incident quietened before the digest was sent.",
        )
    if not wanted:
        outbox.mark_cancelled(
            digest, token, now, "Nothing left to send: every held alert was muted or unwatched."
        )
        outbox.log_outcome(digest, "cancelled")
        return digest.state

    def on_sent(address):
        Delivery.objects.filter(pk__in=[d.pk for d in wanted], state=OutboxState.HELD).update(
            state=OutboxState.SENT, sent_at=now, address=address, last_error="", updated_at=now
        )

    return _send(
        digest,
        token,
        now,
        preference,
        enqueue,
        lambda address: emails.digest_email(digest, wanted, preference, address),
        on_sent=on_sent,
    )


def _cancel_held(digest, pks, now, reason):
    Delivery.objects.filter(pk__in=pks, digest=digest, state=OutboxState.HELD).update(
        state=OutboxState.CANCELLED, last_error=reason, updated_at=now
    )


def _preference(user_id):
    preference, _ = AlertPreference.objects.select_related("user").get_or_create(user_id=user_id)
    return preference


def _send(row, token, now, preference, enqueue, build, on_sent=None):
    address = preference.address
    if not address:
        return _failed(row, token, now, NO_ADDRESS, permanent=True, enqueue=None)
    try:
        message = build(address)
        message.send(fail_silently=False)
    except Exception as exc:  # every failure is recorded on the row; none may leave it claimed
        return _failed(
            row, token, now, describe_error(exc), permanent=is_permanent(exc), enqueue=enqueue
        )
    with transaction.atomic():
        if not outbox.mark_sent(row, token, now, address):
            # The claim timed out while we were sending and the sweeper took the row
            # back: it may be sent again (same Message-ID). See docs/alerts.md.
            outbox.log_outcome(row, "sent after losing its claim")
            return OutboxState.SENT
        if on_sent:
            on_sent(address)
    outbox.log_outcome(row, "sent")
    return row.state


def _failed(row, token, now, error, permanent, enqueue):
    state, delay = outbox.mark_attempt_failed(row, token, now, error, permanent=permanent)
    if state is None:
        outbox.log_outcome(row, "failed after losing its claim")
        return None
    if state == OutboxState.FAILED and isinstance(row, Digest):
        outbox.fail_digest_deliveries(row, now, error)
    outbox.log_outcome(row, "failed for good" if state == OutboxState.FAILED else "will retry")
    if state == OutboxState.RETRYING and enqueue and delay < _countdown_limit():
        # The sweeper re-queues due retries too, should this message be lost. Longer
        # delays are left to it alone: a countdown past the broker's visibility
        # timeout would be redelivered (harmlessly, but pointlessly) meanwhile.
        enqueue([row.pk], countdown=delay)
    return state


def _countdown_limit():
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return options.get("visibility_timeout", 3600) / 2
