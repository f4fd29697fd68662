"""Test messages as outbox rows: the same guarantees as an alert, without an incident.

The row is written when the user asks (in the request's transaction) and queued
on commit. A worker claims it with one conditional UPDATE and only the holder of
the claim token records the outcome; a failed attempt is retried with the
alerts' backoff settings (ALERT_RETRY_*), and the sweeper takes back rows whose
worker died and re-queues rows whose queue message was lost. Every attempt
carries the same idempotency key (the webhook-id), so a receiver that saw a
request its sender never heard back from can drop the repeat.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

import audit

from . import notices
from . import senders
from .delivery import deliver
from .messages import Notification, test_notification
from .models import Channel, Kind, OutboxState, TestMessage

logger = logging.getLogger("channels")


def request_test(channel, user, enqueue, now=None):
    """Record a test message and queue it once the transaction commits."""
    now = now or timezone.now()
    with transaction.atomic():
        message = TestMessage.objects.create(channel=channel, requested_by=user, next_attempt_at=now, created_at=now)
        audit.record("channel.test", actor=user, actor_name="" if user else "manage.py channel",
                     target=f"channel:{channel.pk}", after={"test_message": message.pk})
        transaction.on_commit(lambda: enqueue([message.pk]), robust=True)
    return message


def retry_delay(attempts):
    base = settings.ALERT_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.ALERT_RETRY_MAX_SECONDS)


def claim(pk, now):
    token = uuid.uuid4()
    claimed = TestMessage.objects.due(now).filter(pk=pk).update(
        state=OutboxState.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    return token if claimed == 1 else None


def send(pk, enqueue=None, now=None):
    """Claim and send one test message. Returns the state it ended in, or None if not claimed.

    `enqueue(ids, countdown)` schedules the retry; without it the sweeper does.
    """
    started = timezone.now()
    now = now or started
    token = claim(pk, now)
    if token is None:
        return None
    message = TestMessage.objects.select_related("channel").get(pk=pk)
    channel = message.channel
    # On the caller's clock (tests drive it), advanced by the time the send took.
    done_at = now + (timezone.now() - started)
    if message.notice:
        notification = Notification(**message.notice)
    else:
        channel_url = f"{settings.SITE_URL}{reverse('channels:detail', args=[channel.pk])}"
        notification = test_notification(channel, settings.SITE_URL, channel_url)
    if channel is None:
        # A notice to a person's own address: sent as an email channel would, not logged on one.
        result = senders.send(Channel(kind=Kind.EMAIL, target=message.address), notification, message.idempotency_key)
    else:
        result = deliver(channel, notification, message.idempotency_key, now=done_at)
    ours = TestMessage.objects.filter(pk=pk, claim_token=token, state=OutboxState.SENDING)
    if result.ok:
        fields = {"state": OutboxState.SENT, "sent_at": done_at, "last_error": ""}
    elif not result.retryable or message.attempts >= settings.ALERT_MAX_ATTEMPTS:
        fields = {"state": OutboxState.FAILED, "last_error": result.error}
    else:
        delay = retry_delay(message.attempts)
        fields = {"state": OutboxState.RETRYING, "last_error": result.error,
                  "next_attempt_at": done_at + timedelta(seconds=delay)}
    if not ours.update(claim_token=None, last_status_code=result.status_code, updated_at=done_at, **fields):
        # The sweeper took the row back while we were sending: it may be sent again, with the same key.
        logger.info("channel test message %s finished after losing its claim", pk)
        return None
    logger.info("channel test message %s: %s after %s attempt(s)", pk, fields["state"], message.attempts,
                extra={"test_message_id": pk, "channel_id": channel.pk if channel else None, "state": fields["state"]})
    if fields["state"] == OutboxState.RETRYING and enqueue is not None:
        enqueue([pk], countdown=retry_delay(message.attempts))
    return fields["state"]


def sweep(enqueue, now=None, limit=200):
    """Take back dead workers' claims, re-queue what nobody picked up, retry broken notices."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS)
    reclaimed = []
    for row in TestMessage.objects.stale_claims(stale_before).order_by("claimed_at")[:limit]:
        mine = TestMessage.objects.filter(pk=row.pk, claim_token=row.claim_token, state=OutboxState.SENDING)
        if row.attempts >= settings.ALERT_MAX_ATTEMPTS:
            mine.update(state=OutboxState.FAILED, claim_token=None, updated_at=now,
                        last_error="The worker sending it stopped before finishing; no attempts left.")
        elif mine.update(state=OutboxState.PENDING, claim_token=None, next_attempt_at=F("claimed_at"),
                         updated_at=now, last_error="The worker sending it stopped before finishing; sending again."):
            reclaimed.append(row.pk)
    grace = now - timedelta(seconds=settings.ALERT_SWEEP_SECONDS)
    due = list(TestMessage.objects.due(grace).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    ids = list(dict.fromkeys(reclaimed + due))
    if ids:
        enqueue(ids)
    notified = notices.send_pending_notices(now)
    result = {"reclaimed_test_messages": len(reclaimed), "queued_test_messages": len(ids), "broken_notices": notified}
    if any(result.values()):
        logger.info("channel sweep: %s", result, extra=result)
    return result

