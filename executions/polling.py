"""Who gets polled when, and what a poll's outcome does to an execution.

Claiming: a dispatcher marks each batch of due executions with a fresh claim
token in a conditional UPDATE; only rows that were unclaimed (or whose claim
expired, or whose batch finished) take it, so two dispatchers never hand the same
execution to two batches. A batch task touches only rows still carrying its token.
The same UPDATE reschedules each row as a routine poll would, so a batch releases
only the rows whose poll had something to write; the rest end with one
FinishedClaim row for the batch. A message that arrives after its batch finished,
or after its claim ended, polls nothing.

What a poll's outcome means for the next one is decided in scheduling.py.
"""

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connections import services as connection_services
from connections.clients import client_for
from connections.defaults import ensure_default
from connections.models import Connection

from . import ingest, scheduling, sql
from .models import Execution, FinishedClaim, PollState
from plannr.text import clean_text
from plannr import (
    InvalidPayload,
    NotFound,
    PlannrError,
    PlannrTimeout,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)
from plannr.ratelimit import get_rate_limiter

logger = logging.getLogger("executions.polling")

# Columns a batch needs to decide what to do with each execution.
_BATCH_FIELDS = (
    "id", "uuid", "status", "poll_state", "is_finished", "payload_hash", "consecutive_errors", "claimed_until",
    "connection_id",
)


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


def claim_batches(queryset, now, limit=None):
    """Claim up to `limit` unclaimed executions of `queryset` in batches, each under a token of its own.

    Returns [(token, ids), ...]; a batch holds one connection's executions, and those of a
    paused or refused connection are left alone. For `poll_now` and the `poll` command;
    the dispatcher claims what is due without reading it first (`_claim_due`).
    """
    by_connection = {}
    pollable = Connection.objects.pollable().values("pk")
    for pk, connection_id in queryset.filter(connection__in=pollable).values_list("pk", "connection_id"):
        by_connection.setdefault(connection_id, []).append(pk)
    batches = []
    for ids in by_connection.values():
        _, claimed = sql.claim(now=now, until=_claim_until(now), batch_size=settings.PLANNR_BATCH_SIZE,
                               limit=limit, ids=ids)
        batches += [(token, [row[0] for row in rows]) for token, rows in claimed]
    return batches


def _claim_until(now):
    return now + timedelta(seconds=scheduling.claim_seconds())


def _claim_due(now, limit, connection_id):
    """Claim what is due in one statement. (oldest due time, [(token, rows for the task)]).

    Each batch has its own token: a batch's queries select its rows by token, and with
    one token for a whole cycle PostgreSQL walked every row of the cycle for each batch.
    The claim is also the reschedule (the next poll time and "last polled" of a routine,
    unchanged poll), so such a poll writes nothing but its batch's FinishedClaim.
    The rows carry what the task needs (CLAIM_COLUMNS, the claim's end and its time as
    timestamps, and the connection, last), so it reads nothing before it polls.
    """
    until = _claim_until(now)
    oldest, claimed = sql.claim(
        now=now, until=until, batch_size=settings.PLANNR_BATCH_SIZE, limit=limit,
        reschedule=scheduling.next_routine_poll(now), connection_id=connection_id,
    )
    stamps = [until.timestamp(), now.timestamp(), connection_id]
    return oldest, [(token, [[*row, *stamps] for row in rows]) for token, rows in claimed]


def retry_now(now=None):
    """"Retry now" after a fix on Plannr's side: test every refused connection at once.

    A connection that passes its test is restored, and what waited for it is due now.
    Returns the number of connections restored.
    """
    now = now or timezone.now()
    return sum(connection_services.test(c, now)[0] for c in Connection.objects.broken().filter(paused=False))


def dispatch(send, now=None):
    """Claim what is due, connection by connection, and hand each batch to `send(rows, token)`
    (rows: see `_claim_due`). Returns the claimed batches as [(token, ids)].

    A paused connection, or one Plannr refused, is skipped: its executions stay due and
    are polled within one dispatch of its restoration.
    """
    ensure_default()  # first: a new token restores the connection and makes what waited due
    now = now or timezone.now()
    limiter = get_rate_limiter()
    sql.prune_finished(now - scheduling.FINISHED_CLAIMS_KEPT)
    # Discovery's share of each window (at most a tenth) stays free for it: docs/monitors.md.
    reserve = min(settings.DISCOVERY_RESERVED_REQUESTS, settings.PLANNR_RATE_LIMIT_PER_MINUTE // 10)
    spent = {}  # requests claimed in this dispatch, per Plannr user's budget
    sent = []
    for connection in Connection.objects.pollable():
        key = connection.budget_key
        if limiter.blocked_for(key) > 0:
            continue
        # Claim only what the user's budget still allows in the current window. A batch
        # claimed beyond it would wait for the budget inside a worker, holding that worker
        # (and the dispatches and alert emails queued behind it) for up to a minute. The
        # rest stays due, the cycle stretches, and every dispatch logs by how much.
        allowed = settings.PLANNR_RATE_LIMIT_PER_MINUTE - reserve - limiter.used(key) - spent.get(key, 0)
        reported = limiter.reported_remaining(key)
        if reported is not None:
            # Plannr's own count (X-Ratelimit-Remaining) wins when it is lower: other clients of the user.
            allowed = min(allowed, reported - reserve - spent.get(key, 0))
        budget = max(0, allowed) * settings.PLANNR_BATCH_SIZE
        in_flight = Execution.objects.in_flight(now).filter(connection=connection).count()
        capacity = budget - in_flight
        if capacity <= 0:
            _log_lag(now, in_flight)
            continue
        oldest, claimed = _claim_due(now, capacity, connection.pk)
        for token, rows in claimed:
            send(rows, token)
        spent[key] = spent.get(key, 0) + len(claimed)
        count = sum(len(rows) for _, rows in claimed)
        if claimed:
            logger.info(
                "poll cycle dispatched",
                extra={"claimed": count, "batches": len(claimed), "batch_size": settings.PLANNR_BATCH_SIZE,
                       "in_flight": in_flight, "connection": connection.name},
            )
            # The claim takes the oldest first: its oldest is the cycle's (no query for it).
            _log_lag(now, in_flight + count, oldest=oldest)
        else:
            _log_lag(now, in_flight)
        sent += [(token, [row[0] for row in rows]) for token, rows in claimed]
    return sent


def _log_lag(now, in_flight, oldest=None):
    """Say by how much the cycle is stretching when the budget can't keep up."""
    if oldest is None:
        oldest = Execution.objects.due(now).order_by("next_poll_at").values_list("next_poll_at", flat=True).first()
    if oldest is None:
        return
    lag = (now - oldest).total_seconds()
    if lag > settings.POLL_INTERVAL_SECONDS:
        logger.warning(
            "poll cycle behind schedule by %.0fs (interval %ss, %s in flight)",
            lag, settings.POLL_INTERVAL_SECONDS, in_flight,
            extra={"lag_s": round(lag, 1), "in_flight": in_flight},
        )


def poll_claimed(batch, claim_token, now_fn=timezone.now):
    """Poll one batch of claimed executions: one list request, then the stragglers.

    `batch` is what the dispatcher sent (rows, see `_claim_due`) or bare ids, which
    are then read. Only rows still carrying `claim_token` are written, so running a
    task twice changes nothing.
    """
    claim_token = uuid.UUID(str(claim_token))
    if batch and isinstance(batch[0], (list, tuple)):
        executions = [_Claimed(row) for row in batch]
        if executions[0].claimed_until <= now_fn():
            # A late or repeated message: read what this claim still holds, if anything.
            batch = [e.pk for e in executions]
    if not batch or not isinstance(batch[0], (list, tuple)):
        if FinishedClaim.objects.filter(token=claim_token).exists():
            return BatchOutcome()  # this batch already ran to its end
        executions = list(Execution.objects.claimed_by(claim_token).filter(pk__in=batch).only(*_BATCH_FIELDS))
    outcome = BatchOutcome()
    if not executions:
        return outcome  # already done by an earlier run of this task, or the claim expired
    try:
        return _poll_claimed(executions, claim_token, now_fn, outcome)
    except BaseException as exc:
        # Whatever went wrong, this batch's rows must not sit claimed until the claim expires.
        _release_after_crash(executions, claim_token, exc, now_fn())
        raise


class _Claimed:
    """What a batch knows of one claimed execution, from the dispatcher's row (no model instance)."""

    __slots__ = (*sql.CLAIM_COLUMNS, "claimed_until", "rescheduled_at", "connection_id")

    def __init__(self, row):
        (self.id, self.uuid, self.status, self.poll_state, self.is_finished, self.payload_hash,
         self.consecutive_errors, until) = row[:8]
        self.claimed_until = datetime.fromtimestamp(until, tz=dt_timezone.utc)
        # Messages from before the claim was the reschedule have no claim time.
        claimed_at = row[8] if len(row) > 9 else None
        self.connection_id = row[-1]
        self.rescheduled_at = datetime.fromtimestamp(claimed_at, tz=dt_timezone.utc) if claimed_at else None

    @property
    def pk(self):
        return self.id


def _release_after_crash(executions, claim_token, exc, now):
    message = f"Polling stopped by an internal error ({type(exc).__name__}); it will be retried"
    try:
        Execution.objects.claimed_by(claim_token).filter(pk__in=[e.pk for e in executions]).release(
            last_poll_error=message, next_poll_at=scheduling.after_crash(now), version=F("version") + 1,
        )
    except Exception:
        logger.exception("could not release a crashed batch's claims; they expire on their own")
    logger.error("poll batch crashed: %s", message, exc_info=exc)


class _ClaimKeeper:
    """Keeps a batch's short claim alive while its task works.

    A claim lasts about as long as one step of a batch can take, so a batch whose
    worker died is polled again soon; a batch that is still working pushes its claim
    out whenever a third of it is used up. A fast batch never needs to.
    """

    def __init__(self, claim_token, executions, now_fn):
        self.claim_token, self.ids, self.now_fn = claim_token, [e.pk for e in executions], now_fn
        self.seconds = scheduling.claim_seconds()
        self.until = min((e.claimed_until for e in executions if e.claimed_until), default=None)

    def keep(self):
        now = self.now_fn()
        if self.until is not None and (self.until - now).total_seconds() > self.seconds * 2 / 3:
            return
        self.until = now + timedelta(seconds=self.seconds)
        Execution.objects.claimed_by(self.claim_token).filter(pk__in=self.ids).update(claimed_until=self.until)


def _poll_claimed(executions, claim_token, now_fn, outcome):
    connection_id = executions[0].connection_id
    try:
        connection = connection_services.ensure_account(Connection.objects.get(pk=connection_id), now_fn())
        client = client_for(connection, now_fn())
    except Unauthorized as exc:  # a failed OAuth refresh, or no account to act for: the connection broke
        apply_error(executions, exc, now_fn(), claim_token, connection_id)
        outcome.errors, outcome.error = len(executions), type(exc).__name__
        return outcome
    started, sent_before = time.monotonic(), client.request_count
    claim = _ClaimKeeper(claim_token, executions, now_fn)
    claim.keep()
    rescheduled_at = getattr(executions[0], "rescheduled_at", None)
    try:
        fetched = client.get_payloads([str(e.uuid) for e in executions], while_waiting=claim.keep)
    except PlannrError as exc:
        apply_error(executions, exc, now_fn(), claim_token, connection_id)
        outcome.errors, outcome.error = len(executions), type(exc).__name__
    else:
        now = now_fn()
        connection_services.record_success(
            connection_id, now, client.ratelimit_remaining, broken=connection.broken_since is not None
        )
        claim.keep()
        outcome.changed, outcome.unchanged, missing = ingest.apply_results(
            executions, fetched, now, claim_token, rescheduled_at
        )
        for execution in missing:
            claim.keep()
            _check_missing(client, execution, claim_token, outcome, now_fn, claim.keep, rescheduled_at)
        if outcome.unchanged and scheduling.stamped_by_claim(rescheduled_at, now):
            # Unchanged rows keep the claim that rescheduled them: one row ends them all.
            sql.finish_claim(claim_token, now_fn())
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


def _check_missing(client, execution, claim_token, outcome, now_fn, keep_claim, rescheduled_at):
    """An execution absent from the list answer gets one request of its own."""
    try:
        fetched = client.get_execution(str(execution.uuid), while_waiting=keep_claim)
    except PlannrError as exc:
        if isinstance(exc, NotFound):
            outcome.not_found += 1
        else:
            outcome.errors += 1
        apply_error([execution], exc, now_fn(), claim_token, execution.connection_id)
        return
    changed, unchanged, _ = ingest.apply_results(
        [execution], {str(execution.uuid): fetched}, now_fn(), claim_token, rescheduled_at
    )
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


def apply_error(executions, exc, now, claim_token, connection_id):
    """Record a failed poll on each execution and schedule its retry."""
    state = poll_state_for(exc)
    # Plannr's message is echoed in the error: it is Plannr text like any other.
    message = clean_text(str(exc))[:1000]
    outcome = {"last_polled_at": now, "poll_state": state, "last_poll_error": message, "version": F("version") + 1}
    ids = [e.pk for e in executions]
    mine = Execution.objects.claimed_by(claim_token)
    if isinstance(exc, RateLimited):
        mine.filter(pk__in=ids).release(next_poll_at=scheduling.after_rate_limit(exc.retry_after, now), **outcome)
        logger.warning("rate limited by Plannr", extra={"retry_after_s": exc.retry_after, "batch_size": len(ids)})
        return
    if isinstance(exc, Unauthorized):
        # The connection is refused, not the execution: it breaks (the Admins are told once)
        # and its executions wait, due, until it is restored.
        connection_services.mark_broken(connection_id, message, now)
        mine.filter(pk__in=ids).release(next_poll_at=now, **outcome)
        return
    # Group by error count so a whole batch's backoff is a handful of UPDATEs.
    by_errors = {}
    for execution in executions:
        by_errors.setdefault(execution.consecutive_errors + 1, []).append(execution.pk)
    for errors, group in by_errors.items():
        mine.filter(pk__in=group).release(
            next_poll_at=scheduling.after_error(errors, now, isinstance(exc, NotFound)), consecutive_errors=errors,
            **outcome,
        )
    log = logger.info if isinstance(exc, NotFound) else logger.warning
    log("poll failed: %s", message, extra={"poll_state": state, "batch_size": len(ids)})


def poll_now(execution_ids):
    """Poll these executions at once, whatever their schedule (new watches, "poll now")."""
    return _poll_batches(claim_batches(Execution.objects.filter(pk__in=execution_ids), timezone.now()))


def run_cycle(now=None):
    """One full cycle, synchronously: everything due now (the `poll` command)."""
    now = now or timezone.now()
    return _poll_batches(claim_batches(Execution.objects.due(now), now))


def _poll_batches(claimed):
    outcome = CycleOutcome(claimed=sum(len(ids) for _, ids in claimed))
    for token, ids in claimed:
        outcome.batches.append(poll_claimed(ids, token))
    return outcome
