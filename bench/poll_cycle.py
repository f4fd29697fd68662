"""1. Poll cycle: API requests, wall time against a raw fetch+decode baseline, SQL per cycle.

One full cycle is what the dispatcher and the batch tasks do, run back to back in
this process: `dispatch` claims everything due and splits it into batches, then
`poll_claimed` runs each batch (list request, parse, diff against the stored hash,
write). The baseline fetches exactly the same list URLs (same UUIDs in the same
batches) with a plain requests.Session and json.loads, and does nothing else.
Product and baseline alternate against the same simulator process, several times;
the figures are medians. Queries are counted in separate, untimed cycles.

The rate budget is set out of the way here (the shared-budget benchmark is about
it), but it is still taken from Redis for every request, as in production.
"""

import json
import math
import random
import time

import requests

from .harness import SQLITE, Simulator, median
from .table import count, ms, row

SECTION = "1. poll cycle"
NO_LIMIT = 10_000_000
# Issue 9's targets, as ratios to the raw fetch+decode of the same pages in the same run.
TARGETS = {"unchanged": 1.25, "changed": 1.75, "first": 3.0}
TARGET_SQL_PER_BATCH = 2


def env(quick):
    return {"PLANNR_RATE_LIMIT_PER_MINUTE": str(NO_LIMIT), "POLL_INTERVAL_SECONDS": "15"}


def _plan(quick, engine):
    if quick:
        return [(1_000, 3)]
    return [(1_000, 7), (10_000, 5 if engine != SQLITE else 3), (50_000, 2)]


def run(*, engine, quick, say):
    from django.conf import settings

    from . import rows

    token = settings.PLANNR_API_TOKEN
    out_rows, details = [], {}
    with Simulator(token, rate_limit=NO_LIMIT) as sim:
        settings.PLANNR_BASE_URL = sim.url
        owner = rows.user()
        for n, reps in _plan(quick, engine):
            say(f"poll cycle: N={n:,} on {engine}, {reps} repetitions")
            result = _measure(sim, owner, n, reps, engine, quick)
            details[str(n)] = result
            out_rows += _rows(result, engine)
            _forget_all()
    return {"rows": out_rows, "details": details}


def _forget_all():
    from executions.models import Execution

    Execution.objects.all().delete()


class _Cycle:
    """One full cycle in this process; remembers the batches for the baseline."""

    def __init__(self, sim):
        from executions.models import Execution

        self.sim = sim
        self.uuid_of = dict(Execution.objects.values_list("pk", "uuid"))

    def run(self):
        from executions import polling

        groups = []
        started = time.perf_counter()
        polling.dispatch(send=lambda rows, token: groups.append((rows, token)))
        for rows, token in groups:
            polling.poll_claimed(rows, token)
        elapsed = time.perf_counter() - started
        self.batches = [[row[1] for row in rows] for rows, _ in groups]
        return elapsed


class _Raw:
    """The baseline: the same list pages, fetched and decoded, nothing else."""

    def __init__(self, sim, token):
        from plannr.client import EXECUTIONS_PATH
        from simulator.tenancy import firm_account_uuid

        self.url = sim.url + EXECUTIONS_PATH
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                                     "X-PLANNR-ACCOUNT-UUID": firm_account_uuid()})

    def run(self, batches):
        started = time.perf_counter()
        for chunk in batches:
            response = self.session.get(
                f"{self.url}?filter[uuid]={','.join(chunk)}&per_page={len(chunk)}&include=account", timeout=60
            )
            body = json.loads(response.content)
            if response.status_code != 200 or len(body["data"]) != len(chunk):
                raise RuntimeError(f"baseline request answered {response.status_code}")
        return time.perf_counter() - started


class _Naive:
    """A naive poller: one GET per UUID, decoded, nothing stored. What batching saves."""

    def __init__(self, sim, token):
        from plannr.client import EXECUTIONS_PATH
        from simulator.tenancy import firm_account_uuid

        self.url = sim.url + EXECUTIONS_PATH
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                                     "X-PLANNR-ACCOUNT-UUID": firm_account_uuid()})

    def run(self, batches):
        started = time.perf_counter()
        for chunk in batches:
            for execution_uuid in chunk:
                response = self.session.get(f"{self.url}/{execution_uuid}?include=account", timeout=60)
                json.loads(response.content)
                if response.status_code != 200:
                    raise RuntimeError(f"naive request answered {response.status_code}")
        return time.perf_counter() - started


class _Phases:
    """Where a cycle's time goes: Plannr requests (fetch, decode, budget), hashing, parsing, SQL.

    Wraps the functions for one untimed cycle; SQL is timed by a database execute wrapper.
    """

    def __init__(self):
        self.seconds = {"fetch_decode_s": 0.0, "hash_s": 0.0, "parse_s": 0.0, "sql_s": 0.0}
        self._undo = []

    def _wrap(self, owner, name, key):
        original = owner.__dict__[name]
        function = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - started

        wrapped = classmethod(timed) if isinstance(original, classmethod) else timed
        setattr(owner, name, wrapped)
        self._undo.append((owner, name, original))

    def _sql(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds["sql_s"] += time.perf_counter() - started

    def __enter__(self):
        from django.db import connection

        from executions import ingest
        from plannr.client import PlannrClient
        from plannr.types import PlannrExecution

        self._wrap(PlannrClient, "_get", "fetch_decode_s")
        self._wrap(ingest, "payload_hash", "hash_s")
        self._wrap(PlannrExecution, "from_payload", "parse_s")
        self._sql_context = connection.execute_wrapper(self._sql)
        self._sql_context.__enter__()
        return self

    def __exit__(self, *exc):
        self._sql_context.__exit__(*exc)
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


def _measure(sim, owner, n, reps, engine, quick):
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from executions.models import Snapshot

    from . import rows

    batch = settings.PLANNR_BATCH_SIZE
    control = sim.control
    uuids = control.create_many(n, status="in_progress", steps=2)
    rows.watch_new(owner, uuids)
    cycle, raw = _Cycle(sim), _Raw(sim, settings.PLANNR_API_TOKEN)
    rng = random.Random(n)

    def drive_one_percent():
        for execution_uuid in rng.sample(uuids, max(1, n // 100)):
            control.drive(execution_uuid, add_steps=[{"name": "Send email", "status": "completed"}])

    def counted(kind):
        if kind == "changed":
            drive_one_percent()
        rows.make_all_due()
        snapshots_before = Snapshot.objects.count()
        control.reset_stats()
        with CaptureQueriesContext(connection) as queries:
            cycle.run()
        stats = control.stats()
        return {
            "queries": len(queries.captured_queries),
            "requests": stats["requests"],
            "list_requests": stats["list_requests"],
            "snapshots": Snapshot.objects.count() - snapshots_before,
        }

    def breakdown():
        rows.make_all_due()
        with _Phases() as phases:
            total = cycle.run()
        return {"total_s": total, **phases.seconds}

    rows.make_all_due()
    first = cycle.run()  # every execution's first ingest
    first_raw = raw.run(cycle.batches)
    result = {"n": n, "batch_size": batch, "floor": math.ceil(n / batch), "engine": engine}
    result.update(first_cycle_s=first, first_cycle_raw_s=first_raw)
    # At 60x raw, 50,000 single GETs would take minutes and say nothing new; a quick run
    # has no time for what is informational only.
    if n <= 10_000 and not quick:
        naive_raw = raw.run(cycle.batches)
        result.update(naive_s=_Naive(sim, settings.PLANNR_API_TOKEN).run(cycle.batches), naive_raw_s=naive_raw)
    for kind in ("unchanged", "changed"):
        result[f"count_{kind}"] = counted(kind)
    result["breakdown_unchanged"] = breakdown()

    times = {"unchanged": [], "changed": []}
    baseline = []
    for rep in range(reps):
        for kind in ("unchanged", "changed"):
            if kind == "changed":
                drive_one_percent()
            rows.make_all_due()
            # Alternate which goes first, so neither always meets a warmer cache.
            if rep % 2 == 0:
                times[kind].append(cycle.run())
                baseline.append(raw.run(cycle.batches))
            else:
                baseline.append(raw.run(cycle.batches))
                times[kind].append(cycle.run())
    result.update({f"times_{k}": v for k, v in times.items()})
    result["times_raw"] = baseline
    return result


def _rows(r, engine):
    n, floor = r["n"], r["floor"]
    raw = median(r["times_raw"])
    at_target_n = n >= 1_000
    out = []
    requests_made = max(r["count_unchanged"]["requests"], r["count_changed"]["requests"])
    out.append(
        row(
            SECTION,
            f"API requests per cycle (B={r['batch_size']})",
            count(requests_made),
            engine=engine,
            n=n,
            baseline=f"floor {floor}",
            target=f"≤ {floor + 1}",
            ok=requests_made <= floor + 1,
        )
    )
    for kind, label in (("unchanged", "none changed"), ("changed", "1% changed")):
        t = median(r[f"times_{kind}"])
        ratio = t / raw
        out.append(
            row(
                SECTION,
                f"full cycle time, {label}",
                ms(t),
                engine=engine,
                n=n,
                baseline=f"raw {ms(raw)}",
                ratio=ratio,
                target=f"≤ {TARGETS[kind]}× raw" if at_target_n else "",
                ok=(ratio <= TARGETS[kind]) if at_target_n else None,
            )
        )
    for kind, label in (("unchanged", "none changed"), ("changed", "1% changed")):
        c = r[f"count_{kind}"]
        per_batch = c["queries"] / floor
        out.append(
            row(
                SECTION,
                f"SQL statements per cycle, {label}",
                count(c["queries"]),
                engine=engine,
                n=n,
                baseline=f"{per_batch:.2f} per batch",
                target=f"≤ {TARGET_SQL_PER_BATCH} per batch" if kind == "unchanged" else "",
                ok=(per_batch <= TARGET_SQL_PER_BATCH) if kind == "unchanged" else None,
            )
        )
    b = r["breakdown_unchanged"]
    parts = [
        ("Plannr requests", b["fetch_decode_s"]),
        ("hashing", b["hash_s"]),
        ("parsing", b["parse_s"]),
        ("SQL", b["sql_s"]),
    ]
    other = b["total_s"] - sum(v for _, v in parts)
    out.append(
        row(
            SECTION,
            "where a cycle's time goes, none changed",
            " · ".join(f"{name} {v / b['total_s']:.0%}" for name, v in [*parts, ("other Python", other)]),
            engine=engine,
            n=n,
            baseline=f"of {ms(b['total_s'])}",
        )
    )
    snaps = r["count_unchanged"]["snapshots"]
    out.append(
        row(
            SECTION,
            "snapshot rows written, none changed",
            count(snaps),
            engine=engine,
            n=n,
            target="0",
            ok=snaps == 0,
        )
    )
    if "first_cycle_s" in r:
        out.append(
            row(
                SECTION,
                "first cycle (every execution new)",
                ms(r["first_cycle_s"]),
                engine=engine,
                n=n,
                baseline=f"raw {ms(r['first_cycle_raw_s'])}",
                ratio=r["first_cycle_s"] / r["first_cycle_raw_s"],
                target=f"≤ {TARGETS['first']}× raw",
                ok=r["first_cycle_s"] / r["first_cycle_raw_s"] <= TARGETS["first"],
            )
        )
    if "naive_s" in r:
        out.append(
            row(
                SECTION,
                "naive poller: one GET per UUID, decoded, nothing stored",
                ms(r["naive_s"]),
                engine=engine,
                n=n,
                baseline=f"raw {ms(r['naive_raw_s'])}",
                ratio=r["naive_s"] / r["naive_raw_s"],
            )
        )
    return out
