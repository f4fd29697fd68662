"""Delivering one notification to one channel: send, log the attempt, keep the state.

`deliver(channel, notification, idempotency_key)` is what the outbox
(channels/outbox.py) calls for every row to a saved channel. It does one attempt and never raises for a failed send; retrying is the outbox's
job. The same idempotency key on every attempt at one message becomes the
webhook-id / Message-ID, so a receiver can tell a retry from a new message.

Broken channels: a channel whose every attempt has failed for at least
CHANNEL_BROKEN_AFTER_HOURS is marked broken, and its owner is emailed once per
breakage; one success makes it work again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import notices, senders
from .models import Channel, ChannelState, DeliveryAttempt

logger = logging.getLogger("channels")


def deliver(channel, notification, idempotency_key, now=None):
    started = timezone.now()
    result = senders.send(channel, notification, idempotency_key)
    now = now or timezone.now()
    duration = int((timezone.now() - started).total_seconds() * 1000)
    try:
        notice_id = _log_attempt(channel, notification, idempotency_key, result, now, duration)
    except IntegrityError:  # the channel was deleted while we were sending: nothing to log it on
        logger.info("channel %s was deleted during a delivery", channel.pk)
        return result
    logger.info(
        "channel %s delivery %s: %s%s",
        channel.pk,
        idempotency_key,
        "ok" if result.ok else "failed",
        f" status={result.status_code}" if result.status_code else "",
        extra={"channel_id": channel.pk, "ok": result.ok, "status_code": result.status_code,
               "error": result.error[:300]},
    )
    if notice_id:
        # Sent here, at once, as the failure that caused it; if that fails the row waits
        # for its retry and the sweeper like every other.
        from . import outbox

        outbox.send(notice_id, now=now)
    return result


def _log_attempt(channel, notification, idempotency_key, result, now, duration):
    """The attempt row and the channel's health, together; the notice row's id if the channel just broke."""
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            channel=channel,
            at=now,
            notification_kind=notification.type,
            subject=notification.subject[:300],
            idempotency_key=idempotency_key[:200],
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
            duration_ms=max(duration, 0),
        )
        return _record_outcome(channel, result.ok, now)


def _record_outcome(channel, ok, now):
    """Update the channel's health; the owner's notice row if this attempt made it broken."""
    channels = Channel.objects.filter(pk=channel.pk)
    if ok:
        channels.update(
            state=ChannelState.OK, failing_since=None, broken_at=None, broken_notice_sent_at=None,
            last_success_at=now, updated_at=now,
        )
        channel.state, channel.failing_since, channel.last_success_at = ChannelState.OK, None, now
        return None
    # The first failure after a success starts the clock; conditional, so two
    # concurrent failures agree on one start.
    channels.filter(failing_since__isnull=True).update(failing_since=now, updated_at=now)
    threshold = now - timedelta(hours=settings.CHANNEL_BROKEN_AFTER_HOURS)
    became = channels.filter(state=ChannelState.OK, failing_since__lte=threshold).update(
        state=ChannelState.BROKEN, broken_at=now, updated_at=now
    )
    channel.refresh_from_db(fields=["state", "failing_since", "broken_at"])
    if not became:
        return None
    logger.warning("channel %s is broken: every attempt failed since %s", channel.pk, channel.failing_since,
                   extra={"channel_id": channel.pk})
    return notices.write_broken_notice(channel.pk, now)
