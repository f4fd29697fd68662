"""The alert outbox: recording deliveries with the failure, claiming, outcomes, sweeping.

Recording happens inside the transaction that ingested the poll result, so a
failure and the rows that promise its emails commit (or vanish) together. Every
later state change is a conditional UPDATE: a row is claimed only from a
claimable state, and finished only by the worker holding its claim token, so two
workers (or one task run twice) can never both send the same row.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from executions.failures import EXECUTION_FAILED
from .models import CLAIMABLE_STATES, ChannelDelivery, Delivery, Digest, FailureEvent, OutboxState

logger = logging.getLogger("alerts")

COVERED_BY_STEP = "Reported by the alert about the failed step."
ERROR_LIMIT = 2000


# --- Recording -----------------------------------------------------------------------


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
    if not any(e.kind == EXECUTION_FAILED for e in new_events):
        return
    if FailureEvent.objects.filter(execution=execution).exclude(kind=EXECUTION_FAILED).exists():
        for event in new_events:
            if event.kind == EXECUTION_FAILED:
                event.suppressed_reason = COVERED_BY_STEP
                event.save(update_fields=["suppressed_reason"])


# --- Queueing ------------------------------------------------------------------------

# A broker that is down must not hold up the caller for long: the sweeper
# re-queues whatever was not queued.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}


def enqueue(task, ids, countdown=None):
    """Queue `task` for each id; False (and a warning) if the broker is unreachable.

    Called by alerts/tasks.py with its own tasks: domain modules get the
    resulting enqueue functions passed in and never import the tasks.
    """
    for pk in ids:
        try:
            task.apply_async((pk,), countdown=countdown, retry=True, retry_policy=_PUBLISH_RETRY)
        except Exception as exc:  # the broker is unreachable; nothing is lost
            logger.warning(
                "could not queue %s for %d rows (%s); the sweeper will queue them",
                task.name,
                len(ids),
                type(exc).__name__,
            )
            return False
    return True


# --- Claiming and outcomes -----------------------------------------------------------


def claim_delivery(pk, now):
    """Take a delivery for sending; returns the claim token, or None if it is not ours to send."""
    # Pending rows too wait for their time: an incident alert is due when its fold window ends.
    due = Q(state__in=CLAIMABLE_STATES, next_attempt_at__lte=now)
    return _claim(Delivery.objects.filter(due, pk=pk), now)


def claim_channel_delivery(pk, now):
    """The same for an alert to a channel (alerts/channel_alerts.py)."""
    due = Q(state__in=CLAIMABLE_STATES, next_attempt_at__lte=now)
    return _claim(ChannelDelivery.objects.filter(due, pk=pk), now)


def claim_digest(pk, now):
    """Take a digest once its window has ended (or its retry is due).

    The caller holds the user's preference lock, so the list of held deliveries
    is final from here on (throttle.admit never adds to a claimed digest).
    """
    return _claim(Digest.objects.filter(pk=pk, state__in=CLAIMABLE_STATES, next_attempt_at__lte=now), now)


def _claim(queryset, now):
    token = uuid.uuid4()
    claimed = queryset.update(
        state=OutboxState.SENDING,
        claim_token=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return token if claimed == 1 else None


def _ours(model, pk, token):
    return model.objects.filter(pk=pk, claim_token=token, state=OutboxState.SENDING)


def mark_sent(row, token, now, address):
    """Record a send; False if the claim had been taken away meanwhile (see docs/alerts.md)."""
    done = _ours(type(row), row.pk, token).update(
        state=OutboxState.SENT, sent_at=now, address=address, last_error="", claim_token=None, updated_at=now
    )
    if done:
        _refresh(row, state=OutboxState.SENT, sent_at=now, address=address, last_error="")
    return done == 1


def mark_cancelled(row, token, now, reason):
    done = _ours(type(row), row.pk, token).update(
        state=OutboxState.CANCELLED, last_error=reason, claim_token=None, updated_at=now
    )
    if done:
        _refresh(row, state=OutboxState.CANCELLED, last_error=reason)
    return done == 1


def retry_delay(attempts):
    """Exponential backoff after the `attempts`-th failed attempt, capped."""
    base = settings.ALERT_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.ALERT_RETRY_MAX_SECONDS)


def mark_attempt_failed(row, token, now, error, permanent=False):
    """Record a failed attempt: RETRYING with backoff, or FAILED for good.

    Returns (state, delay_seconds or None), or (None, None) if the claim was lost.
    """
    error = error[:ERROR_LIMIT]
    attempts = row.attempts
    if permanent or attempts >= settings.ALERT_MAX_ATTEMPTS:
        state, delay = OutboxState.FAILED, None
        fields = {"state": state}
    else:
        state, delay = OutboxState.RETRYING, retry_delay(attempts)
        fields = {"state": state, "next_attempt_at": now + timedelta(seconds=delay)}
    done = _ours(type(row), row.pk, token).update(
        last_error=error, claim_token=None, updated_at=now, **fields
    )
    if done != 1:
        return None, None
    _refresh(row, last_error=error, **fields)
    return state, delay


def _refresh(row, **fields):
    for name, value in fields.items():
        setattr(row, name, value)


# --- Manual retry --------------------------------------------------------------------


def retry_failed(delivery, enqueue_deliveries, enqueue_digests, now=None):
    """Send a delivery that failed for good again (the "Retry" button). True if it was queued."""
    now = now or timezone.now()
    reset = {"attempts": 0, "last_error": "", "next_attempt_at": now, "updated_at": now}
    with transaction.atomic():
        if delivery.digest_id:
            # It failed as part of a digest: send the digest again, with all its deliveries.
            done = Digest.objects.filter(pk=delivery.digest_id, state=OutboxState.FAILED).update(
                state=OutboxState.PENDING, **reset
            )
            if done:
                Delivery.objects.filter(digest_id=delivery.digest_id, state=OutboxState.FAILED).update(
                    state=OutboxState.HELD, last_error="", updated_at=now
                )
                digest_id = delivery.digest_id
                transaction.on_commit(lambda: enqueue_digests([digest_id]), robust=True)
            return bool(done)
        done = Delivery.objects.filter(pk=delivery.pk, state=OutboxState.FAILED).update(
            state=OutboxState.PENDING, **reset
        )
        if done:
            pk = delivery.pk
            transaction.on_commit(lambda: enqueue_deliveries([pk]), robust=True)
        return bool(done)


# --- Sweeping ------------------------------------------------------------------------


def sweep(send_deliveries, send_digests, now=None, limit=500, send_channel_deliveries=None):
    """Recover what a dead worker or a lost message left behind, and start due digests.

    - a row claimed longer than ALERT_CLAIM_TIMEOUT_SECONDS ago belongs to a dead
      worker: it is made claimable again (or failed, once out of attempts);
    - pending and due retrying deliveries that nobody picked up are queued again
      (after a grace of ALERT_SWEEP_SECONDS, so the usual on-commit and countdown
      messages get there first);
    - digests whose window has ended (or whose retry is due) are queued;
    - channel deliveries (alerts/channel_alerts.py) like deliveries, through
      `send_channel_deliveries` (left alone without it).
    Queueing twice is harmless: a second claim finds nothing to take.
    Returns counts, for the log and the tests.
    """
    now = now or timezone.now()
    reclaimed = {Delivery: [], Digest: []}
    for model in (Delivery, Digest):
        reclaimed[model] = _reclaim_stale(model, now, limit)

    grace = now - timedelta(seconds=settings.ALERT_SWEEP_SECONDS)
    due_deliveries = list(
        Delivery.objects.filter(
            Q(state=OutboxState.PENDING) | Q(state=OutboxState.RETRYING),
            next_attempt_at__lte=grace,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    delivery_ids = list(dict.fromkeys(reclaimed[Delivery] + due_deliveries))
    digest_ids = list(
        dict.fromkeys(
            reclaimed[Digest]
            + list(
                Digest.objects.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=now)
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:limit]
            )
        )
    )
    if delivery_ids:
        send_deliveries(delivery_ids)
    if digest_ids:
        send_digests(digest_ids)
    channel_reclaimed, channel_ids = [], []
    if send_channel_deliveries is not None:
        channel_reclaimed = _reclaim_stale(ChannelDelivery, now, limit)
        due_channels = ChannelDelivery.objects.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=grace)
        channel_ids = list(dict.fromkeys(
            channel_reclaimed + list(due_channels.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        ))
        if channel_ids:
            send_channel_deliveries(channel_ids)
    result = {
        "reclaimed_channel_deliveries": len(channel_reclaimed),
        "queued_channel_deliveries": len(channel_ids),
        "reclaimed_deliveries": len(reclaimed[Delivery]),
        "reclaimed_digests": len(reclaimed[Digest]),
        "queued_deliveries": len(delivery_ids),
        "queued_digests": len(digest_ids),
    }
    if any(result.values()):
        logger.info("alert sweep: %s", result, extra=result)
    return result


def _reclaim_stale(model, now, limit):
    """Make rows claimed by a dead worker claimable again; returns the ids made PENDING."""
    stale_before = now - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS)
    stale = model.objects.filter(state=OutboxState.SENDING, claimed_at__lt=stale_before)
    reclaimed = []
    for row in stale.order_by("claimed_at")[:limit]:
        mine = _ours(model, row.pk, row.claim_token)
        if row.attempts >= settings.ALERT_MAX_ATTEMPTS:
            error = (
                f"The worker sending it stopped before finishing (attempt {row.attempts}); no attempts left."
            )
            if mine.update(state=OutboxState.FAILED, last_error=error, claim_token=None, updated_at=now):
                row.state, row.last_error = OutboxState.FAILED, error
                if model is Digest:
                    fail_digest_deliveries(row, now, error)
                log_outcome(row, "worker lost")
            continue
        # Due at once: next_attempt_at goes back to when it was claimed, whatever
        # the sweeper's own clock says.
        error = "The worker sending it stopped before finishing; sending again."
        if mine.update(
            state=OutboxState.PENDING,
            next_attempt_at=F("claimed_at"),
            last_error=error,
            claim_token=None,
            updated_at=now,
        ):
            row.state, row.last_error = OutboxState.PENDING, error
            reclaimed.append(row.pk)
            log_outcome(row, "reclaimed")
    return reclaimed


def fail_digest_deliveries(digest, now, error):
    Delivery.objects.filter(digest=digest, state=OutboxState.HELD).update(
        state=OutboxState.FAILED,
        last_error=f"The digest listing it could not be sent: {error}"[:ERROR_LIMIT],
        updated_at=now,
    )


# --- Logging -------------------------------------------------------------------------


def log_outcome(row, outcome):
    """One structured line per outcome. Never includes addresses' tokens or links."""
    if isinstance(row, Digest):
        fields = {"digest_id": row.pk, "user_id": row.user_id}
        label = f"alert digest {row.pk}"
    elif isinstance(row, ChannelDelivery):
        fields = {"channel_delivery_id": row.pk, "channel_id": row.channel_id, "alert_id": row.alert_id}
        label = f"alert {row.alert_id} to channel {row.channel_id} (row {row.pk})"
    else:
        fields = {"delivery_id": row.pk, "user_id": row.user_id}
        if row.alert_id:
            fields["alert_id"] = row.alert_id
            label = f"alert delivery {row.pk} (alert {row.alert_id})"
        else:
            fields["event_id"] = row.event_id
            label = f"alert delivery {row.pk} (event {row.event_id})"
    fields.update({"state": row.state, "attempts": row.attempts, "outcome": outcome})
    if row.last_error and row.state in (OutboxState.RETRYING, OutboxState.FAILED, OutboxState.PENDING):
        fields["error"] = row.last_error[:300]
    logger.info(
        "%s %s: state=%s attempts=%s%s",
        label,
        outcome,
        row.state,
        row.attempts,
        f" error={fields['error']!r}" if "error" in fields else "",
        extra=fields,
    )
