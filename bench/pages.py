"""2. Pages: queries and latency of the watchlist and its htmx partial, against a trivial view.

At each size the user watches N executions (another user watches a tenth as many,
so the queries must filter). In-process with django.test.Client, through the full
middleware stack, the same signed-in user:
- the watchlist page (GET /);
- the partial as the page's poller asks for it when something changed (a stale
  `known` fingerprint: the rows are rendered);
- the partial when nothing changed (the current fingerprint: 204, nothing rendered),
  which is what most refreshes are;
- a trivial view behind the same login check (bench/urls.py).
The four requests take turns, round after round, so that noise hits them alike.
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
RATIO_TARGET = 3.0
KNOWN = re.compile(rb'"known": "([0-9a-f]+)"')


def env(quick):
    return {}


def run(*, engine, quick, say):
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from . import rows

    sizes = [10, 100, 1_000] if quick else [10, 1_000, 10_000]
    rounds = 15 if quick else 60
    owner, other = rows.user("owner"), rows.user("other")
    results, out_rows = {}, []
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(owner)
        requests = _requests(client)
        watched = 0
        for n in sizes:
            say(f"pages: {n:,} watches on {engine}, {rounds} rounds")
            _watches(owner, n - watched, start=watched)
            _watches(other, (n - watched) // 10 or 1, start=10**6 + watched)
            watched = n
            _analyze()
            known = _known(client)
            queries = {}
            for name, send in requests.items():
                known = _steer_clear_of_the_minute(client, known)
                send(known)  # warm: templates compiled, connection open
                with CaptureQueriesContext(connection) as ctx:
                    send(known)
                queries[name] = len(ctx.captured_queries)
            times = {name: [] for name in requests}
            for _ in range(rounds):
                known = _steer_clear_of_the_minute(client, known)
                for name, send in requests.items():
                    started = time.perf_counter()
                    send(known)
                    times[name].append(time.perf_counter() - started)
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


def _requests(client):
    """name -> send(known fingerprint); each checks its answer."""

    def get(url, expect, **kwargs):
        response = client.get(url, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url} answered {response.status_code}, expected {expect}")
        return response

    return {
        "trivial view": lambda known: get("/bench/trivial/", 200),
        "watchlist page": lambda known: get("/", 200),
        "partial, rows changed": lambda known: get(
            "/watches/rows/", 200, data={"known": "0" * 24}, headers=HTMX
        ),
        "partial, nothing changed": lambda known: get(
            "/watches/rows/", 204, data={"known": known}, headers=HTMX
        ),
    }


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


def _rows(results, engine):
    out = []
    sizes = sorted(results)
    for name in ("watchlist page", "partial, rows changed", "partial, nothing changed"):
        counts = [results[n]["queries"][name] for n in sizes]
        constant = len(set(counts)) == 1
        out.append(
            row(
                SECTION,
                f"SQL queries: {name}",
                " / ".join(str(c) for c in counts),
                engine=engine,
                n=" / ".join(f"{n:,}" for n in sizes),
                baseline=f"trivial view {results[sizes[0]]['queries']['trivial view']}",
                target=f"constant, ≤ {QUERY_BUDGET}",
                ok=constant and max(counts) <= QUERY_BUDGET,
            )
        )
    for n in sizes:
        times = results[n]["times"]
        trivial = median(times["trivial view"])
        for name in ("watchlist page", "partial, rows changed", "partial, nothing changed"):
            ratio = median(times[name]) / trivial
            refresh = name.startswith("partial")
            out.append(
                row(
                    SECTION,
                    f"latency: {name} (median / p95)",
                    f"{ms(median(times[name]))} / {ms(p95(times[name]))}",
                    engine=engine,
                    n=n,
                    baseline=f"trivial {ms(trivial)} / {ms(p95(times['trivial view']))}",
                    ratio=ratio,
                    target=f"median ≤ {RATIO_TARGET:g}× trivial" if refresh else "",
                    ok=(ratio <= RATIO_TARGET) if refresh else None,
                )
            )
    return out
