"""The one delivery outbox: claim, compose, send, record, retry, sweep.

Every message (an incident alert, a digest, a connection notice, a test message) is
a `Delivery` row, written in the transaction that decided it and queued on commit.
A worker claims it with one conditional UPDATE; only the holder of the claim token
records the outcome, so two workers (or one task run twice) never both send it. A
failed attempt is retried with backoff; the sweeper takes back rows whose worker
died and re-queues rows whose queue message was lost. Every attempt at one row
carries the same idempotency key (webhook-id, Message-ID).

What a row says is decided by its topic's composer, registered by the app that owns
the topic (`register`, e.g. alerts registers "alert" and "digest" in its ready());
how it is sent is the sender registry's (channels/senders.py), by channel kind.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from privacy.redaction import redact_notification

from . import senders
from .delivery import deliver
from .messages import Notification, test_notification
from .models import Channel, Delivery, DeliveryState, Kind, Topic

logger = logging.getLogger("channels")

ERROR_LIMIT = 2000
NO_ADDRESS = "No email address to send to: set one on the alert settings page."


@dataclass
class Message:
    """What a composer hands back: the notification, and for email rows without a channel the address.

    `on_sent(address)` runs in the transaction that records the send (a digest marks what it listed).
    """

    notification: Notification
    address: str = ""
    on_sent: Callable | None = None
    # Run when the row fails for good (a digest fails what it listed).
    on_failed: Callable | None = None


@dataclass
class Cancel:
    """The row is no longer wanted (alerts turned off, the incident triaged): `reason` is shown."""

    reason: str


# topic -> compose(row, now)
_COMPOSERS = {}


def register(topic, compose):
    """`compose(row, now)` returns a Message, or Cancel(reason) when the row is no longer wanted."""
    _COMPOSERS[topic] = compose


def _compose_notice(row, now):
    """A notice was rendered when it was written; a test message says what it is when sent."""
    if row.notice:
        return Message(Notification(**row.notice), address=row.address)
    channel_url = f"{settings.SITE_URL}{reverse('channels:detail', args=[row.channel_id])}"
    return Message(test_notification(row.channel, settings.SITE_URL, channel_url), address=row.address)


register(Topic.NOTICE, _compose_notice)
register(Topic.TEST, _compose_notice)


# --- Queueing ------------------------------------------------------------------------

# A broker that is down must not hold up the caller for long: the sweeper re-queues.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}


def countdown_limit():
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return options.get("visibility_timeout", 3600) / 2


def enqueue(task, ids, countdown=None):
    """Queue `task` for each id; False (and a warning) if the broker is unreachable.

    Past half the broker's visibility timeout a countdown would be redelivered meanwhile
    (harmlessly, but pointlessly): such a row is left to the sweeper.
    """
    if countdown and countdown >= countdown_limit():
        return True
    for pk in ids:
        try:
            task.apply_async((pk,), countdown=countdown, retry=True, retry_policy=_PUBLISH_RETRY)
        except Exception as exc:  # the broker is unreachable; the rows are still there
            logger.warning("could not queue %d deliveries (%s); the sweeper will queue them",
                           len(ids), type(exc).__name__)
            return False
    return True


def queue_on_commit(enqueue_fn, ids, due, now):
    """Queue `ids` once the transaction commits, a second after `due` so no task arrives early."""
    if not ids or enqueue_fn is None:
        return
    wait = (due - now).total_seconds()
    countdown = wait + 1 if wait > 0 else None
    transaction.on_commit(lambda: enqueue_fn(ids, countdown=countdown), robust=True)


def request_test(channel, user, enqueue, now=None):
    """Record a test message to `channel` and queue it once the transaction commits."""
    import audit

    now = now or timezone.now()
    with transaction.atomic():
        message = Delivery.objects.create(topic=Topic.TEST, kind=channel.kind, channel=channel, requested_by=user,
                                          next_attempt_at=now, created_at=now)
        audit.record("channel.test", actor=user, actor_name="" if user else "manage.py channel",
                     target=f"channel:{channel.pk}", after={"test_message": message.pk})
        transaction.on_commit(lambda: enqueue([message.pk]), robust=True)
    return message


# --- Claiming and outcomes -----------------------------------------------------------


def claim(pk, now):
    """Take a due row for sending; returns the claim token, or None if it is not ours to send."""
    token = uuid.uuid4()
    claimed = Delivery.objects.due(now).filter(pk=pk).update(
        state=DeliveryState.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    return token if claimed == 1 else None


def _ours(pk, token):
    return Delivery.objects.filter(pk=pk, claim_token=token, state=DeliveryState.SENDING)


def finish(row, token, now, **fields):
    """Record an outcome; False (nothing changed) if `token` is no longer the row's claim."""
    done = _ours(row.pk, token).update(claim_token=None, updated_at=now, **fields)
    if done:
        for name, value in fields.items():
            setattr(row, name, value)
    return done == 1


def retry_delay(attempts):
    """Exponential backoff after the `attempts`-th failed attempt, capped."""
    base = settings.ALERT_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.ALERT_RETRY_MAX_SECONDS)


def send(pk, now=None, enqueue=None):
    """Claim, compose and send one row. Returns the state it ended in, or None if not claimed.

    `enqueue(ids, countdown)` schedules a retry; without it the sweeper alone picks retries up.
    """
    now = now or timezone.now()
    token = claim(pk, now)
    if token is None:
        return None
    row = Delivery.objects.select_related("channel", "user", "alert__incident").filter(pk=pk).first()
    if row is None:  # deleted with its channel, user or alert meanwhile
        return None
    message = _COMPOSERS[row.topic](row, now)
    if isinstance(message, Cancel):
        finish(row, token, now, state=DeliveryState.CANCELLED, last_error=message.reason[:ERROR_LIMIT])
        log_outcome(row, "cancelled")
        return row.state
    # Every topic, destination and kind (a new one too) gets the redacted message, and so
    # does the attempt log: redacted before any sender renders it (docs/personal-data.md).
    notification = redact_notification(message.notification)
    address = ""
    if row.channel_id:
        result = deliver(row.channel, notification, row.idempotency_key, now=now)
    else:
        address = message.address
        if not address:
            result = senders.SendResult(False, None, NO_ADDRESS, retryable=False)
        else:
            result = senders.send(Channel(kind=Kind.EMAIL, target=address), notification,
                                  row.idempotency_key)
    if result.ok:
        return _sent(row, token, now, address, result, message)
    return _failed(row, token, now, result, message, enqueue)


def _sent(row, token, now, address, result, message):
    with transaction.atomic():
        fields = {"state": DeliveryState.SENT, "sent_at": now, "last_error": "", "last_status_code": result.status_code}
        if address:
            fields["address"] = address
        if not finish(row, token, now, **fields):
            # The claim timed out while we were sending and the sweeper took the row back:
            # it may be sent again, with the same key. See docs/alerts.md.
            log_outcome(row, "sent after losing its claim")
            return DeliveryState.SENT
        if message.on_sent:
            message.on_sent(address)
    log_outcome(row, "sent")
    return row.state


def _failed(row, token, now, result, message, enqueue):
    error = result.error[:ERROR_LIMIT]
    if not result.retryable or row.attempts >= settings.ALERT_MAX_ATTEMPTS:
        state, delay = DeliveryState.FAILED, None
        fields = {"state": state}
    else:
        state, delay = DeliveryState.RETRYING, retry_delay(row.attempts)
        fields = {"state": state, "next_attempt_at": now + timedelta(seconds=delay)}
    if not finish(row, token, now, last_error=error, last_status_code=result.status_code, **fields):
        log_outcome(row, "failed after losing its claim")
        return None
    if state == DeliveryState.FAILED and message.on_failed:
        message.on_failed(now, error)
    log_outcome(row, "failed for good" if state == DeliveryState.FAILED else "will retry")
    if state == DeliveryState.RETRYING and enqueue is not None:
        # The sweeper re-queues due retries too, should this message be lost.
        enqueue([row.pk], countdown=delay)
    return state


def fail_held(digest, now, error):
    """A digest that failed for good fails the deliveries it listed."""
    Delivery.objects.filter(digest=digest, state=DeliveryState.HELD).update(
        state=DeliveryState.FAILED, last_error=f"The digest listing it could not be sent: {error}"[:ERROR_LIMIT],
        updated_at=now,
    )


# --- Manual retry --------------------------------------------------------------------


def retry_failed(row, enqueue, now=None):
    """Send a row that failed for good again (the "Retry" button). True if it was queued.

    A row held for a digest is retried by sending the digest again, with all it lists.
    """
    now = now or timezone.now()
    reset = {"state": DeliveryState.PENDING, "attempts": 0, "last_error": "", "next_attempt_at": now,
             "updated_at": now}
    with transaction.atomic():
        pk = row.digest_id or row.pk
        done = Delivery.objects.filter(pk=pk, state=DeliveryState.FAILED).update(**reset)
        if done and row.digest_id:
            Delivery.objects.filter(digest_id=pk, state=DeliveryState.FAILED).update(
                state=DeliveryState.HELD, last_error="", updated_at=now
            )
        if done:
            transaction.on_commit(lambda: enqueue([pk]), robust=True)
        return bool(done)


# --- Sweeping ------------------------------------------------------------------------


def sweep(enqueue, now=None, limit=500):
    """Recover what a dead worker or a lost message left behind; queue what is due.

    - a row claimed longer than ALERT_CLAIM_TIMEOUT_SECONDS ago belongs to a dead worker:
      it is made claimable again (or failed, once out of attempts);
    - due rows nobody picked up are queued again, after a grace of ALERT_SWEEP_SECONDS so
      the usual on-commit and countdown messages get there first; a digest (due when its
      window ends, with no message of its own) is queued as soon as it is due.
    Queueing twice is harmless: a second claim finds nothing to take. Returns counts.
    """
    now = now or timezone.now()
    reclaimed = _reclaim_stale(now, limit)
    grace = now - timedelta(seconds=settings.ALERT_SWEEP_SECONDS)
    due = Delivery.objects.due(grace) | Delivery.objects.due(now).filter(topic=Topic.DIGEST)
    due_ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    ids = list(dict.fromkeys(reclaimed + due_ids))
    if ids:
        enqueue(ids)
    result = {"reclaimed": len(reclaimed), "queued": len(ids)}
    if any(result.values()):
        logger.info("delivery sweep: %s", result, extra=result)
    return result


def _reclaim_stale(now, limit):
    """Make rows claimed by a dead worker claimable again; returns the ids made PENDING."""
    stale_before = now - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS)
    reclaimed = []
    for row in Delivery.objects.stale_claims(stale_before).order_by("claimed_at")[:limit]:
        mine = _ours(row.pk, row.claim_token)
        if row.attempts >= settings.ALERT_MAX_ATTEMPTS:
            error = f"The worker sending it stopped before finishing (attempt {row.attempts}); no attempts left."
            if mine.update(state=DeliveryState.FAILED, last_error=error, claim_token=None, updated_at=now):
                row.state, row.last_error = DeliveryState.FAILED, error
                if row.topic == Topic.DIGEST:
                    fail_held(row, now, error)
                log_outcome(row, "worker lost")
            continue
        # Due at once: next_attempt_at goes back to when it was claimed, whatever the sweeper's clock says.
        error = "The worker sending it stopped before finishing; sending again."
        if mine.update(state=DeliveryState.PENDING, next_attempt_at=F("claimed_at"), last_error=error,
                       claim_token=None, updated_at=now):
            row.state, row.last_error = DeliveryState.PENDING, error
            reclaimed.append(row.pk)
            log_outcome(row, "reclaimed")
    return reclaimed


# --- The log -------------------------------------------------------------------------


def log_outcome(row, outcome):
    """One structured line per outcome. Never an address's token, a link or a channel's target."""
    fields = {"delivery_id": row.pk, "topic": row.topic, "kind": row.kind, "state": row.state,
              "attempts": row.attempts, "outcome": outcome}
    for name in ("alert_id", "user_id", "channel_id"):
        if getattr(row, name):
            fields[name] = getattr(row, name)
    if row.last_error and row.state in (DeliveryState.RETRYING, DeliveryState.FAILED, DeliveryState.PENDING):
        fields["error"] = row.last_error[:300]
    about = f" (alert {row.alert_id})" if row.alert_id else ""
    logger.info("%s delivery %s%s to %s %s: state=%s attempts=%s%s", row.topic, row.pk, about, row.destination,
                outcome, row.state, row.attempts, f" error={fields['error']!r}" if "error" in fields else "",
                extra=fields)
