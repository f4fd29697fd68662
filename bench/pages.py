"""2. Pages: queries and latency of the watchlist, its htmx partial and the execution page,
against a trivial view.

At each size the user watches N executions (another user watches a tenth as many,
so the queries must filter). In-process with django.test.Client, through the full
middleware stack, the same signed-in user:
- the watchlist page (GET /);
- the partial as the page's poller asks for it when rows changed: before each of
  these requests (untimed) two rows of the first page get a new version, as a poll
  that changed them would do, so the answer is rendered with two fresh rows and the
  rest from the row cache (ui/rows.py);
- the partial when nothing changed (the current fingerprint: 204, nothing rendered),
  which is what most refreshes are;
- the execution page of an execution with 600 steps and 100 history entries, as a
  second visitor or a reload gets it (its live region already rendered for this
  version), and, informational, right after the execution changed (rendered afresh);
- a trivial view behind the same login check (bench/urls.py).
The requests take turns, round after round, so that noise hits them alike.
"""

import re
import time
import uuid as uuid_lib
from datetime import timedelta

from .harness import median, p95
from .table import ms, row

SECTION = "2. pages"
HTMX = {"HX-Request": "true"}
QUERY_BUDGET = 12
# Issue 9: the partial with rows changed, at 10,000 watches, and the 600-step execution page.
RATIO_TARGET = 2.5
EXECUTION_RATIO_TARGET = 4.0
STEPS = 600
HISTORY = 100
ROWS_CHANGED_PER_REFRESH = 2
KNOWN = re.compile(rb'"known": "([0-9a-f]+)"')


def env(quick):
    return {}


def run(*, engine, quick, say):
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from . import rows

    sizes = [10, 1_000] if quick else [10, 1_000, 10_000]
    rounds = 10 if quick else 60
    owner, other = rows.user("owner"), rows.user("other")
    results, out_rows = {}, []
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(owner)
        big = _long_execution(owner)
        requests = _requests(client, owner, big)
        watched = 0
        for n in sizes:
            say(f"pages: {n:,} watches on {engine}, {rounds} rounds")
            _watches(owner, n - watched, start=watched)
            _watches(other, (n - watched) // 10 or 1, start=10**6 + watched)
            watched = n
            _analyze()
            known = _known(client)
            queries = {}
            for name, request in requests.items():
                known = _steer_clear_of_the_minute(client, known)
                _send(request, known)  # warm: templates compiled, connection open
                if isinstance(request, Untimed):
                    request.prepare()
                with CaptureQueriesContext(connection) as ctx:
                    _send(request, known)
                queries[name] = len(ctx.captured_queries)
                if isinstance(request, Untimed):
                    known = _known(client)  # the rows just changed are part of it now
            times = {name: [] for name in requests}
            for _ in range(rounds):
                known = _steer_clear_of_the_minute(client, known)
                for name, request in requests.items():
                    if isinstance(request, Untimed):
                        request.prepare()
                    started = time.perf_counter()
                    _send(request, known)
                    times[name].append(time.perf_counter() - started)
                    if isinstance(request, Untimed):
                        known = _known(client)
            results[n] = {"queries": queries, "times": times}
    out_rows += _rows(results, engine)
    return {"rows": out_rows, "details": {str(n): r for n, r in results.items()}}


def _analyze():
    """PostgreSQL plans from table statistics, which autovacuum keeps current in production
    but has not gathered yet for rows bulk-inserted a moment ago."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Untimed:
    """Work a request needs done before it, kept out of its time."""

    def __init__(self, prepare, send):
        self.prepare, self.send = prepare, send


def _requests(client, owner, big):
    """name -> send(known fingerprint) or Untimed(prepare, send); each checks its answer."""
    from django.db.models import F

    from executions.models import Execution, Watch
    from ui.params import Params
    from ui.watchlist import watchlist_page

    def get(url, expect, **kwargs):
        response = client.get(url, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url} answered {response.status_code}, expected {expect}")
        return response

    def change_rows():
        # What a poll that changed a few executions on screen does to them.
        ids = watchlist_page(owner, Params()).ids[:ROWS_CHANGED_PER_REFRESH]
        execution_ids = Watch.objects.filter(id__in=ids).values_list("execution_id", flat=True)
        Execution.objects.filter(id__in=list(execution_ids)).update(version=F("version") + 1)

    def change_execution():
        Execution.objects.filter(pk=big.pk).update(version=F("version") + 1)

    page = f"/executions/{big.uuid}/"
    return {
        "trivial view": lambda known: get("/bench/trivial/", 200),
        "watchlist page": lambda known: get("/", 200),
        "partial, rows changed": Untimed(
            change_rows,
            lambda known: get("/watches/rows/", 200, data={"known": "0" * 24}, headers=HTMX),
        ),
        "partial, nothing changed": lambda known: get(
            "/watches/rows/", 204, data={"known": known}, headers=HTMX
        ),
        f"execution page, {STEPS} steps": lambda known: get(page, 200),
        f"execution page, {STEPS} steps, just changed": Untimed(change_execution, lambda known: get(page, 200)),
    }


def _send(request, known):
    if isinstance(request, Untimed):
        return request.send(known)
    return request(known)


def _long_execution(user):
    """One watched execution with STEPS steps and HISTORY snapshots, as polling leaves it."""
    from django.utils import timezone

    from executions.models import Execution, PollState, Snapshot, Step, Watch

    now = timezone.now()
    execution = Execution.objects.create(
        uuid=uuid_lib.uuid4(), name="Quarterly review for every client", status="in_progress",
        triggered_by="schedule", account_name="Many Clients Ltd", steps_count=STEPS + 5, steps_done=STEPS,
        next_step={"name": "Send summary", "status": "pending"}, poll_state=PollState.OK,
        last_polled_at=now, next_poll_at=now + timedelta(seconds=15), payload_hash="f" * 64, version=1,
        remote_created_at=now - timedelta(hours=5), remote_updated_at=now,
    )
    Step.objects.bulk_create(
        [
            Step(
                execution=execution, uuid=uuid_lib.uuid4(), position=i, name=f"Send review letter {i}",
                status="failed" if i % 50 == 7 else "completed",
                info='"[{errors : "the account_uuid field is required" }]"' if i % 50 == 7 else "",
                messages=["the account_uuid field is required"] if i % 50 == 7 else [],
                failure_kind="failed" if i % 50 == 7 else "",
                executed_at=now - timedelta(seconds=(STEPS - i) * 20),
            )
            for i in range(STEPS)
        ]
    )
    Snapshot.objects.bulk_create(
        [
            Snapshot(
                execution=execution, fetched_at=now - timedelta(seconds=(HISTORY - i) * 60),
                payload={"uuid": str(execution.uuid)}, payload_hash=f"{i:064x}",
                changes=[{"kind": "step_added", "step": f"Send review letter {i}", "status": "completed"}],
            )
            for i in range(HISTORY)
        ]
    )
    Watch.objects.create(user=user, execution=execution)
    return execution


def _steer_clear_of_the_minute(client, known, margin=5.0):
    """The fingerprint, fresh if a minute is about to turn.

    The watchlist fingerprint includes the minute (so that "last polled" times stay
    roughly right): across a minute boundary an unchanged list renders once. The
    bench measures the unchanged answer, so it waits for the new minute instead.
    """
    into = time.time() % 60
    if into < 60 - margin:
        return known
    time.sleep(60 - into + 0.05)
    return _known(client)


def _known(client):
    match = KNOWN.search(client.get("/").content)
    if not match:
        raise RuntimeError("the watchlist page carries no `known` fingerprint for its poller")
    return match.group(1).decode()


def _watches(user, n, start):
    """n watched executions as polling leaves them, varied so that every column and badge shows."""
    from django.utils import timezone

    from executions.models import Execution, PollState, Watch

    now = timezone.now()
    statuses = ["in_progress", "in_progress", "completed", "failed", ""]
    executions = Execution.objects.bulk_create(
        [
            Execution(
                uuid=uuid_lib.uuid4(),
                name=f"Send client welcome pack to newly created client {i % 7}",
                status=statuses[i % 5],
                triggered_by="client.created",
                account_name=f"Client {i}",
                steps_count=5,
                steps_done=i % 6,
                next_step={"name": "Send SMS", "status": "pending"},
                is_failing=i % 5 == 3,
                failure_message="Send SMS: the account_uuid field is required" if i % 5 == 3 else "",
                poll_state=PollState.NOT_FOUND if i % 11 == 0 else PollState.OK,
                last_polled_at=now - timedelta(seconds=i % 900),
                next_poll_at=now + timedelta(seconds=15),
                payload_hash=f"{i:064x}",
                version=1,
            )
            for i in range(start, start + n)
        ],
        batch_size=2000,
    )
    Watch.objects.bulk_create(
        [Watch(user=user, execution=e, label=f"batch {i % 3}") for i, e in enumerate(executions)],
        batch_size=2000,
    )


PAGE_FIGURES = ("watchlist page", "partial, rows changed", "partial, nothing changed")
EXECUTION_FIGURES = (f"execution page, {STEPS} steps", f"execution page, {STEPS} steps, just changed")


def _target(name):
    """(target text, ratio limit) for a latency figure; (\"\", None) when informational."""
    if name.startswith("partial"):
        return f"median ≤ {RATIO_TARGET:g}× trivial", RATIO_TARGET
    if name == EXECUTION_FIGURES[0]:
        return f"median ≤ {EXECUTION_RATIO_TARGET:g}× trivial", EXECUTION_RATIO_TARGET
    return "", None


def _rows(results, engine):
    out = []
    sizes = sorted(results)
    for name in PAGE_FIGURES + EXECUTION_FIGURES:
        counts = [results[n]["queries"][name] for n in sizes]
        # The watchlist's default order costs one query per severity group its page
        # spans: most at the smallest N, where the first page spans them all.
        not_growing = all(later <= earlier for earlier, later in zip(counts, counts[1:]))
        out.append(
            row(
                SECTION,
                f"SQL queries: {name}",
                " / ".join(str(c) for c in counts),
                engine=engine,
                n=" / ".join(f"{n:,}" for n in sizes),
                baseline=f"trivial view {results[sizes[0]]['queries']['trivial view']}",
                target=f"not growing with N, ≤ {QUERY_BUDGET}",
                ok=not_growing and max(counts) <= QUERY_BUDGET,
            )
        )
    for n in sizes:
        times = results[n]["times"]
        trivial = median(times["trivial view"])
        # The execution page does not depend on N: shown once, at the largest N.
        names = PAGE_FIGURES + (EXECUTION_FIGURES if n == sizes[-1] else ())
        for name in names:
            ratio = median(times[name]) / trivial
            target, limit = _target(name)
            out.append(
                row(
                    SECTION,
                    f"latency: {name} (median / p95)",
                    f"{ms(median(times[name]))} / {ms(p95(times[name]))}",
                    engine=engine,
                    n=n,
                    baseline=f"trivial {ms(trivial)} / {ms(p95(times['trivial view']))}",
                    ratio=ratio,
                    target=target,
                    ok=(ratio <= limit) if limit else None,
                )
            )
    return out
