"""Who gets polled when, and what a poll's outcome does to an execution.

Claiming: a dispatcher marks each batch of due executions with a fresh claim
token in a conditional UPDATE; only rows that were unclaimed (or whose claim
expired) take it, so two dispatchers never hand the same execution to two batches. A batch
task touches only rows still carrying its token and clears it when done, which
makes a re-delivered task a no-op.

Lifecycle: running executions are polled every POLL_INTERVAL_SECONDS; finished
ones once more to confirm, then never; errors back off exponentially up to
POLL_BACKOFF_MAX_SECONDS; a 401 pauses the token; a 429 waits for Retry-After.
"""

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import ingest
from .models import Execution, PollState, TokenState
from .plannr import (
    InvalidPayload,
    NotFound,
    PlannrError,
    PlannrTimeout,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    get_client,
)

logger = logging.getLogger("executions.polling")

# Columns a batch needs to decide what to do with each execution.
_BATCH_FIELDS = ("id", "uuid", "status", "poll_state", "is_finished", "payload_hash", "consecutive_errors")


@dataclass
class BatchOutcome:
    polled: int = 0
    changed: int = 0
    unchanged: int = 0
    not_found: int = 0
    errors: int = 0
    requests: int = 0
    error: str = ""


@dataclass
class CycleOutcome:
    claimed: int = 0
    batches: list = field(default_factory=list)

    @property
    def requests(self):
        return sum(b.requests for b in self.batches)


def _unclaimed(now):
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def batches(ids, size=None):
    size = size or settings.PLANNR_BATCH_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def claim_batches(queryset, now, limit=None):
    """Claim up to `limit` executions of `queryset` in batches, each under a token of its own.

    Returns [(token, ids), ...]. A batch's queries select its rows by token; with one
    token for a whole cycle, PostgreSQL walked every row the cycle had claimed for
    each batch (the token index matches them all), which made a cycle quadratic in
    its size: 10,000 rows read per batch at N = 10,000.
    """
    candidates = list(
        queryset.filter(_unclaimed(now)).order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit]
    )
    until = now + timedelta(seconds=settings.POLL_CLAIM_SECONDS)
    claimed = []
    for group in batches(candidates):
        token = uuid.uuid4()
        # The claim condition is repeated on the UPDATE itself: PostgreSQL re-checks it
        # against a row another dispatcher just claimed, so the loser skips that row.
        Execution.objects.filter(_unclaimed(now), pk__in=group).update(claim_token=token, claimed_until=until)
        mine = Execution.objects.filter(claim_token=token).order_by("next_poll_at", "pk")
        ids = list(mine.values_list("pk", flat=True))
        if ids:
            claimed.append((token, ids))
    return claimed


def _token_paused(fingerprint, now):
    """True while a 401 pause lasts. After it, one probe batch may go out."""
    state = TokenState.objects.filter(fingerprint=fingerprint, unauthorized_since__isnull=False).first()
    if state is None:
        return False, False
    return (state.retry_at is not None and state.retry_at > now), True


def due_executions(now):
    return Execution.objects.filter(next_poll_at__lte=now)


def dispatch(now=None, send=None):
    """Claim what is due and hand it to batch tasks. Returns the claimed batches."""
    from .tasks import poll_batch

    now = now or timezone.now()
    send = send or (lambda ids, token: poll_batch.delay(ids, str(token)))
    client = get_client()
    paused, probing = _token_paused(client.token_fingerprint, now)
    if paused:
        return []
    limiter = client.rate_limiter
    if limiter is not None and limiter.blocked_for(client.token_fingerprint) > 0:
        return []
    # Claim only what the token's budget still allows in the current window. A batch
    # claimed beyond it would wait for the budget inside a worker, holding that worker
    # (and the dispatches and alert emails queued behind it) for up to a minute. The
    # rest stays due, the cycle stretches, and every dispatch logs by how much.
    used = limiter.used(client.token_fingerprint) if limiter is not None else 0
    # Discovery's share of each window (at most a tenth) stays free for it: docs/monitors.md.
    reserve = min(settings.DISCOVERY_RESERVED_REQUESTS, settings.PLANNR_RATE_LIMIT_PER_MINUTE // 10)
    budget = max(0, settings.PLANNR_RATE_LIMIT_PER_MINUTE - reserve - used) * settings.PLANNR_BATCH_SIZE
    in_flight = Execution.objects.filter(claim_token__isnull=False, claimed_until__gte=now).count()
    capacity = settings.PLANNR_BATCH_SIZE if probing else budget - in_flight
    if capacity <= 0:
        _log_lag(now, in_flight)
        return []
    claimed = claim_batches(due_executions(now), now, limit=capacity)
    for token, group in claimed:
        send(group, token)
    count = sum(len(group) for _, group in claimed)
    if claimed:
        logger.info(
            "poll cycle dispatched",
            extra={"claimed": count, "batches": len(claimed), "batch_size": settings.PLANNR_BATCH_SIZE,
                   "in_flight": in_flight},
        )
    _log_lag(now, in_flight + count)
    return claimed


def _log_lag(now, in_flight):
    """Say by how much the cycle is stretching when the budget can't keep up."""
    oldest = (
        Execution.objects.filter(next_poll_at__lte=now).order_by("next_poll_at").values_list("next_poll_at", flat=True).first()
    )
    if oldest is None:
        return
    lag = (now - oldest).total_seconds()
    if lag > settings.POLL_INTERVAL_SECONDS:
        logger.warning(
            "poll cycle behind schedule by %.0fs (interval %ss, %s in flight)",
            lag, settings.POLL_INTERVAL_SECONDS, in_flight,
            extra={"lag_s": round(lag, 1), "in_flight": in_flight},
        )


def poll_claimed(execution_ids, claim_token, now_fn=timezone.now):
    """Poll one batch of claimed executions: one list request, then the stragglers."""
    claim_token = uuid.UUID(str(claim_token))
    executions = list(
        Execution.objects.filter(pk__in=execution_ids, claim_token=claim_token).only(*_BATCH_FIELDS)
    )
    outcome = BatchOutcome()
    if not executions:
        return outcome  # already done by an earlier run of this task, or the claim expired
    client = get_client()
    started, sent_before = time.monotonic(), client.request_count
    try:
        fetched = client.get_payloads([str(e.uuid) for e in executions])
    except PlannrError as exc:
        apply_error(executions, exc, now_fn(), claim_token, client.token_fingerprint)
        outcome.errors, outcome.error = len(executions), type(exc).__name__
    else:
        now = now_fn()
        _token_ok(client.token_fingerprint)
        outcome.changed, outcome.unchanged, missing = ingest.apply_results(executions, fetched, now, claim_token)
        for execution in missing:
            _check_missing(client, execution, claim_token, outcome, now_fn)
    outcome.polled = len(executions)
    outcome.requests = client.request_count - sent_before
    logger.info(
        "poll batch done",
        extra={
            "batch_size": len(executions), "changed": outcome.changed, "unchanged": outcome.unchanged,
            "not_found": outcome.not_found, "errors": outcome.errors, "error": outcome.error,
            "requests": outcome.requests, "elapsed_ms": round((time.monotonic() - started) * 1000),
            "ratelimit_remaining": client.ratelimit_remaining,
        },
    )
    return outcome


def _check_missing(client, execution, claim_token, outcome, now_fn):
    """An execution absent from the list answer gets one request of its own."""
    try:
        fetched = client.get_execution(str(execution.uuid))
    except PlannrError as exc:
        if isinstance(exc, NotFound):
            outcome.not_found += 1
        else:
            outcome.errors += 1
        apply_error([execution], exc, now_fn(), claim_token, client.token_fingerprint)
        return
    changed, unchanged, _ = ingest.apply_results([execution], {str(execution.uuid): fetched}, now_fn(), claim_token)
    outcome.changed += changed
    outcome.unchanged += unchanged


_STATE_FOR = [
    (NotFound, PollState.NOT_FOUND),
    (Unauthorized, PollState.UNAUTHORIZED),
    (RateLimited, PollState.RATE_LIMITED),
    (PlannrTimeout, PollState.TIMEOUT),
    (TransportError, PollState.TIMEOUT),
    (InvalidPayload, PollState.INVALID),
    (ServerError, PollState.SERVER_ERROR),
]


def poll_state_for(exc):
    for cls, state in _STATE_FOR:
        if isinstance(exc, cls):
            return state
    return PollState.SERVER_ERROR


def backoff_seconds(consecutive_errors):
    """Interval × 2^(errors-1), capped: 15 s, 30 s, 60 s ... up to the cap."""
    exponent = max(0, min(consecutive_errors - 1, 20))
    return min(settings.POLL_BACKOFF_MAX_SECONDS, settings.POLL_INTERVAL_SECONDS * 2**exponent)


def apply_error(executions, exc, now, claim_token, fingerprint):
    """Record a failed poll on each execution and schedule its retry."""
    state = poll_state_for(exc)
    message = str(exc)[:1000]
    release = {"claim_token": None, "claimed_until": None, "last_polled_at": now,
               "poll_state": state, "last_poll_error": message, "version": F("version") + 1}
    ids = [e.pk for e in executions]
    if isinstance(exc, RateLimited):
        # Not the execution's fault: wait exactly as long as Plannr asks, no backoff.
        Execution.objects.filter(pk__in=ids, claim_token=claim_token).update(
            next_poll_at=now + timedelta(seconds=max(1.0, exc.retry_after)), **release
        )
        logger.warning("rate limited by Plannr", extra={"retry_after_s": exc.retry_after, "batch_size": len(ids)})
        return
    if isinstance(exc, Unauthorized):
        retry_at = now + timedelta(seconds=settings.POLL_UNAUTHORIZED_RETRY_SECONDS)
        TokenState.objects.update_or_create(
            fingerprint=fingerprint,
            defaults={"retry_at": retry_at, "last_error": message},
            create_defaults={"unauthorized_since": now, "retry_at": retry_at, "last_error": message},
        )
        TokenState.objects.filter(fingerprint=fingerprint, unauthorized_since__isnull=True).update(unauthorized_since=now)
        Execution.objects.filter(pk__in=ids, claim_token=claim_token).update(
            next_poll_at=retry_at, consecutive_errors=F("consecutive_errors") + 1, **release
        )
        logger.error("Plannr rejected the API token; polling paused", extra={"token": fingerprint, "retry_at": retry_at.isoformat()})
        return
    # Group by error count so a whole batch's backoff is a handful of UPDATEs.
    by_errors = {}
    for execution in executions:
        by_errors.setdefault(execution.consecutive_errors + 1, []).append(execution.pk)
    for errors, group in by_errors.items():
        Execution.objects.filter(pk__in=group, claim_token=claim_token).update(
            next_poll_at=now + timedelta(seconds=backoff_seconds(errors)), consecutive_errors=errors, **release
        )
    log = logger.info if isinstance(exc, NotFound) else logger.warning
    log("poll failed: %s", message, extra={"poll_state": state, "batch_size": len(ids)})


def _token_ok(fingerprint):
    TokenState.objects.filter(fingerprint=fingerprint, unauthorized_since__isnull=False).update(
        unauthorized_since=None, retry_at=None, last_error=""
    )


def poll_now(execution_ids):
    """Poll these executions at once, whatever their schedule (new watches, "poll now")."""
    return _poll_batches(claim_batches(Execution.objects.filter(pk__in=execution_ids), timezone.now()))


def run_cycle(now=None):
    """One full cycle, synchronously: everything due now (the `poll` command)."""
    now = now or timezone.now()
    return _poll_batches(claim_batches(due_executions(now), now))


def _poll_batches(claimed):
    outcome = CycleOutcome(claimed=sum(len(ids) for _, ids in claimed))
    for token, ids in claimed:
        outcome.batches.append(poll_claimed(ids, token))
    return outcome
