"""The sweep: find executions nobody has named yet, for every active monitor.

Cost rules (docs/monitors.md):
- monitors share a sweep per distinct scope: one for every "everything" monitor,
  one per blueprint, and the union of every client monitor's uuids in one
  `filter[client_uuids]`, split only to keep each URL under MAX_URL_BYTES;
- each scope is walked newest first (`sort=-created_at`, `per_page=500`, always
  sent: Plannr's defaults are name order and 15 a page) and stops after the
  first page that reaches below the scope's floor (the lowest of its monitors'
  high-water mark less DISCOVERY_OVERLAP_SECONDS, or start point), so an idle
  sweep costs one request per scope;
- at most DISCOVERY_MAX_PAGES pages per scope: a capped sweep keeps the
  high-water mark where it was and records its lag.

Every request goes through the same client, and so the same shared per-token
rate budget, as polling. What is new is inserted in bulk, and its list payload
is ingested as its first poll: it is never fetched again just to be stored.
"""

import hashlib
import logging
import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from executions import ingest
from executions.models import Execution
from connections.clients import client_for
from connections.models import Connection
from plannr import PlannrError, RateLimited, Unauthorized
from plannr.client import BLUEPRINTS_PATH, EXECUTIONS_PATH, MAX_PER_PAGE
from plannr.types import normalise_uuid, parse_datetime

from .models import Finding, Monitor, Scope

logger = logging.getLogger("monitors.discovery")

# Many front proxies refuse a request line over 8 KB; the whole URL is kept under it.
MAX_URL_BYTES = 8000
# Columns ingest needs of an execution (the same ones a poll batch loads).
_INGEST_FIELDS = ("id", "uuid", "status", "poll_state", "is_finished", "payload_hash", "consecutive_errors")


def ingest_first_poll(executions, payloads, now, claim_token):
    """The one call into executions' ingest: apply list payloads as a first poll.

    `executions` are rows claimed under `claim_token`; `payloads` maps uuid to
    the execution object as Plannr listed it.
    """
    return ingest.apply_results(executions, payloads, now, claim_token)


@dataclass
class ScopeSweep:
    """One distinct scope: the request it makes, the monitors that share it, what it saw."""

    key: str
    path: str
    filter_query: str = ""
    monitors: list = field(default_factory=list)
    client_uuids: frozenset = frozenset()
    requests: int = 0
    pages: int = 0
    complete: bool = False
    lag_seconds: float = 0.0
    error: str = ""
    newest: object = None  # newest created_at seen
    # (monitor, uuid) pairs that match, and the payloads behind them.
    matches: list = field(default_factory=list)
    payloads: dict = field(default_factory=dict)

    # Set when the walk stops at its cap: (newest seen, offset reached, list total then).
    cursor: tuple | None = None

    @property
    def identity(self):
        """The scope's stable name (a clients batch is named by its uuids, not its position)."""
        digest = hashlib.sha1(f"{self.path}?{self.filter_query}".encode()).hexdigest()[:12]
        return f"{self.key.split(':')[0]}:{digest}"

    def query(self, page):
        parts = [self.filter_query] if self.filter_query else []
        parts += ["sort=-created_at", f"per_page={MAX_PER_PAGE}", "include=account"]
        if page > 1:
            parts.append(f"page={page}")
        return "&".join(parts)


@dataclass
class SweepOutcome:
    scopes: list = field(default_factory=list)
    new_executions: list = field(default_factory=list)  # uuids inserted by this sweep
    findings: dict = field(default_factory=dict)  # monitor id -> uuids newly found

    @property
    def requests(self):
        return sum(s.requests for s in self.scopes)


def floor_for(monitor, overlap):
    """The oldest created_at a sweep must reach for this monitor."""
    if monitor.high_water is None:
        return monitor.start_at
    return max(monitor.start_at, monitor.high_water - overlap)


def plan_scopes(monitors, base_url):
    """The distinct scopes of these monitors, each with the monitors that share it."""
    scopes = {}
    clients = {}
    for monitor in monitors:
        if monitor.scope == Scope.EVERYTHING:
            scopes.setdefault("everything", ScopeSweep("everything", EXECUTIONS_PATH)).monitors.append(monitor)
        elif monitor.scope == Scope.BLUEPRINT:
            key = f"blueprint:{monitor.blueprint_uuid}"
            path = f"{BLUEPRINTS_PATH}/{monitor.blueprint_uuid}/executions"
            scopes.setdefault(key, ScopeSweep(key, path)).monitors.append(monitor)
        elif monitor.scope == Scope.CLIENTS:
            for client_uuid in monitor.client_uuids:
                clients.setdefault(client_uuid, []).append(monitor)
    plan = list(scopes.values())
    for index, chunk in enumerate(client_chunks(sorted(clients), base_url)):
        sharing = {m.pk: m for u in chunk for m in clients[u]}
        plan.append(
            ScopeSweep(
                f"clients:{index + 1}",
                EXECUTIONS_PATH,
                filter_query=f"filter[client_uuids]={','.join(chunk)}",
                monitors=list(sharing.values()),
                client_uuids=frozenset(chunk),
            )
        )
    return plan


def client_chunks(uuids, base_url, limit=MAX_URL_BYTES):
    """Split client uuids so that each page's full URL stays under `limit` bytes."""
    # Everything but the uuids, with the longest page number a sweep sends.
    fixed = len(f"{base_url}{EXECUTIONS_PATH}?filter[client_uuids]=&") + len(ScopeSweep("", "").query(9999))
    chunks, current, size = [], [], fixed
    for client_uuid in uuids:
        extra = len(client_uuid) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append(current)
            current, size = [], fixed
            extra = len(client_uuid)
        current.append(client_uuid)
        size += extra
    if current:
        chunks.append(current)
    return chunks


def _match(scope, item, created):
    """The monitors of `scope` that take this listed execution."""
    name, triggered_by = item.get("name"), item.get("triggered_by")
    account = item.get("account") if isinstance(item.get("account"), dict) else {}
    account_uuid = normalise_uuid(account.get("uuid"))
    taken = []
    for monitor in scope.monitors:
        if created < monitor.start_at or not monitor.matches(name if isinstance(name, str) else "", triggered_by):
            continue
        if monitor.scope == Scope.CLIENTS and account_uuid not in monitor.client_uuids:
            continue
        taken.append(monitor)
    return taken


def _backlog(scope):
    """The capped sweep's resume point, when every monitor of the scope shares the same one."""
    marks = {(m.backlog_scope, m.backlog_top, m.backlog_offset, m.backlog_total) for m in scope.monitors}
    if len(marks) != 1:
        return None
    name, top, offset, total = marks.pop()
    return (top, offset, total) if name == scope.identity and top is not None else None


def _meta_int(body, key):
    meta = body.get("meta")
    try:
        return int(meta.get(key)) if isinstance(meta, dict) else None
    except (TypeError, ValueError):
        return None


def walk(client, scope, now, max_pages=None):
    """Read the scope's pages newest first until its floor, the last page or the cap.

    After a capped sweep, the next one reads the new executions at the top, then jumps
    to where the capped one stopped (its offset, pushed down by as many executions as
    the list's total grew) and carries on towards the floor.
    """
    overlap = timedelta(seconds=settings.DISCOVERY_OVERLAP_SECONDS)
    max_pages = max_pages or settings.DISCOVERY_MAX_PAGES
    floor = min(floor_for(m, overlap) for m in scope.monitors)
    backlog = _backlog(scope)
    page = reads = 0
    while True:
        page += 1
        sent_before = client.request_count
        try:
            body = client.list_page(scope.path, scope.query(page))
        finally:
            scope.requests += client.request_count - sent_before
        reads += 1
        scope.pages = reads
        oldest = None
        for item in body["data"]:
            execution_uuid = normalise_uuid(item.get("uuid")) if isinstance(item, dict) else None
            created = parse_datetime(item.get("created_at")) if execution_uuid else None
            if created is None:
                continue  # without a uuid and a creation time it can be neither matched nor placed
            oldest = created if oldest is None else min(oldest, created)
            if scope.newest is None or created > scope.newest:
                scope.newest = created
            for monitor in _match(scope, item, created):
                scope.matches.append((monitor, execution_uuid))
                scope.payloads[execution_uuid] = item
        if not body["data"] or not client.has_next_page(body, page) or (oldest is not None and oldest < floor):
            scope.complete = True
            return scope
        per_page, total = _meta_int(body, "per_page") or len(body["data"]), _meta_int(body, "total")
        if backlog is not None and oldest is not None and oldest < backlog[0] - overlap and total is not None:
            top, offset, total_then = backlog
            backlog = None
            # The next unread execution sits `offset` from the top, pushed down by what is new.
            page = max(page, (offset + max(0, total - total_then)) // per_page)
        if reads >= max_pages:
            reached = oldest or now
            scope.lag_seconds = max(0.0, (reached - floor).total_seconds())
            tops = [t for t in ((_backlog(scope) or (None,))[0], scope.newest) if t is not None]
            scope.cursor = (max(tops) if tops else now, page * per_page, total or 0)
            logger.warning(
                "discovery of %s stopped at its page cap, %.0fs of history behind",
                scope.key, scope.lag_seconds,
                extra={"scope": scope.key, "pages": reads, "lag_s": round(scope.lag_seconds, 1)},
            )
            return scope


def sweep(now=None, monitors=None):
    """One sweep of every active monitor (or of `monitors`): returns a SweepOutcome.

    Each connection's monitors are swept with that connection's client (its account,
    its user's shared budget); a paused or refused connection's monitors wait for it.
    """
    now = now or timezone.now()
    if monitors is None:
        monitors = list(Monitor.objects.active(now))
    outcome = SweepOutcome()
    by_connection = {}
    for monitor in monitors:
        by_connection.setdefault(monitor.connection_id, []).append(monitor)
    for connection in Connection.objects.pollable().filter(pk__in=by_connection):
        part = _sweep_connection(connection, by_connection[connection.pk], now)
        outcome.scopes += part.scopes
        outcome.new_executions += part.new_executions
        outcome.findings.update(part.findings)
    _log(outcome)
    return outcome


def _sweep_connection(connection, monitors, now):
    from connections import services

    outcome = SweepOutcome()
    try:
        client = client_for(services.ensure_account(connection, now), now)
    except PlannrError:
        return outcome  # the connection is marked broken; its monitors wait for it
    outcome.scopes = plan_scopes(monitors, client.base_url)
    stopped = ""
    for scope in outcome.scopes:
        if stopped:
            scope.error = stopped
            continue
        try:
            walk(client, scope, now)
        except RateLimited as exc:
            # The limiter now holds every worker back; the rest waits for the next sweep.
            scope.error = str(exc)
            stopped = f"not swept: {exc}"
        except Unauthorized as exc:
            services.mark_broken(connection.pk, str(exc), now)
            scope.error = stopped = str(exc)
        except PlannrError as exc:
            scope.error = str(exc)
    if any(not s.error for s in outcome.scopes):
        services.record_success(connection.pk, now, client.ratelimit_remaining)
    record(outcome, now, connection.pk)
    return outcome


def record(outcome, now, connection_id):
    """Insert what is new, link findings, ingest first polls, and move the high-water marks."""
    payloads, pairs = {}, set()
    for scope in outcome.scopes:
        payloads.update(scope.payloads)
        pairs.update((m.pk, u) for m, u in scope.matches)
    token = uuid_lib.uuid4()
    with transaction.atomic():
        if payloads:
            _insert_and_ingest(outcome, payloads, pairs, now, token, connection_id)
        _update_monitors(outcome, now)


def _insert_and_ingest(outcome, payloads, pairs, now, token, connection_id):
    wanted = [uuid_lib.UUID(u) for u in payloads]
    until = now + timedelta(seconds=settings.POLL_CLAIM_SECONDS)
    mine = Execution.objects.filter(connection_id=connection_id)
    known = dict(mine.filter(uuid__in=wanted).values_list("uuid", "id"))
    # next_poll_at is set so that, should the first poll below not land, the dispatcher
    # polls them once the claim expires.
    Execution.objects.bulk_create(
        [Execution(uuid=u, connection_id=connection_id, next_poll_at=now, claim_token=token, claimed_until=until)
         for u in wanted if u not in known],
        ignore_conflicts=True,
    )
    fresh = list(mine.filter(uuid__in=wanted, claim_token=token).values_list("uuid", "id"))
    outcome.new_executions = [str(u) for u, _ in fresh]
    ids = {str(u): i for u, i in known.items()} | {str(u): i for u, i in fresh}
    already = set(
        Finding.objects.filter(monitor_id__in={m for m, _ in pairs}, execution_id__in=ids.values())
        .values_list("monitor_id", "execution_id")
    )
    # Oldest first, so that a monitor's "newest found first" order (found_at, id) is Plannr's too.
    created = {u: str(payloads[u].get("created_at") or "") for u in payloads}
    new_pairs = sorted(
        ((m, u) for m, u in pairs if u in ids and (m, ids[u]) not in already), key=lambda p: (created[p[1]], p[1])
    )
    # Findings first: the first poll's failure signal finds the monitor's subscribers.
    Finding.objects.bulk_create(
        [Finding(monitor_id=m, execution_id=ids[u], found_at=now) for m, u in new_pairs], ignore_conflicts=True
    )
    for monitor_id, execution_uuid in new_pairs:
        outcome.findings.setdefault(monitor_id, []).append(execution_uuid)
    # Known executions a monitor just found get the listed payload as a poll too, when
    # no poll batch holds them; those that had stopped polling (nobody watched them) resume.
    newly_found = [ids[u] for _, u in new_pairs if ids[u] in known.values()]
    Execution.objects.unclaimed(now).filter(id__in=newly_found).update(claim_token=token, claimed_until=until)
    Execution.objects.filter(
        id__in=newly_found, next_poll_at__isnull=True, final_confirmed=False
    ).update(next_poll_at=now)
    claimed = list(Execution.objects.filter(id__in=ids.values(), claim_token=token).only(*_INGEST_FIELDS))
    if claimed:
        ingest_first_poll(claimed, {str(e.uuid): payloads[str(e.uuid)] for e in claimed}, now, token)


def _update_monitors(outcome, now):
    per_monitor = {}
    for scope in outcome.scopes:
        for monitor in scope.monitors:
            per_monitor.setdefault(monitor.pk, (monitor, []))[1].append(scope)
    for monitor_id, (monitor, scopes) in per_monitor.items():
        complete = all(s.complete for s in scopes)
        newest = max((s.newest for s in scopes if s.newest is not None), default=None)
        fields = {
            "last_swept_at": now,
            "last_sweep_requests": sum(s.requests for s in scopes),
            "last_sweep_found": len(outcome.findings.get(monitor_id, ())),
            "lag_seconds": 0.0 if complete else max(s.lag_seconds for s in scopes),
            "last_sweep_error": "; ".join(s.error for s in scopes if s.error)[:2000],
        }
        capped = [s for s in scopes if s.cursor is not None]
        if complete:
            # A backlog's top was covered by an earlier sweep: the mark may move up to it.
            tops = [newest, monitor.backlog_top if monitor.backlog_scope else None]
            tops = [t for t in tops if t is not None]
            if tops and (monitor.high_water is None or max(tops) > monitor.high_water):
                fields["high_water"] = max(tops)
        if len(capped) == 1:
            top, offset, total = capped[0].cursor
            fields.update(backlog_scope=capped[0].identity, backlog_top=top, backlog_offset=offset,
                          backlog_total=total)
        elif not any(s.error for s in scopes):
            fields.update(backlog_scope="", backlog_top=None, backlog_offset=0, backlog_total=0)
        Monitor.objects.filter(pk=monitor_id).update(**fields)


def _log(outcome):
    logger.info(
        "discovery sweep done",
        extra={
            "scopes": len(outcome.scopes),
            "requests": outcome.requests,
            "new_executions": len(outcome.new_executions),
            "findings": sum(len(v) for v in outcome.findings.values()),
            "errors": sum(1 for s in outcome.scopes if s.error),
        },
    )
