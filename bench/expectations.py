"""8. Expectations: one evaluation of every expectation, from stored rows (issue 22).

An "everything" monitor covers 500 blueprints; each has a volume expectation (at
least 1 an hour) and a deadline (finish within 60 min): 1,000 expectations on 100,000 executions created
over 30 days (1 in 50 still running). The first check writes every state; the figures
are the steady state after it: queries at two sizes (they must not grow) and the time
of one evaluation (median of rounds). The quick run's larger size adds blueprints but no
executions, so 450 of its blueprints never ran: their missing incidents open at the first
check, and the steady count must be the same as the smaller size's (it once was not).
"""

import time
import uuid as uuid_lib
from datetime import timedelta

from .harness import median
from .table import ms, row

SECTION = "8. expectations"


def env(quick):
    return {}


def run(*, engine, quick, say):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from expectations import evaluation
    from monitors.models import Monitor, Scope

    sizes = [(50, 10_000), (500, 10_000 if quick else 100_000)]
    rounds = 3 if quick else 10
    now = timezone.now()
    Monitor.objects.create(name="Everything", scope=Scope.EVERYTHING, start_at=now - timedelta(days=31))
    results = {}
    made_blueprints = made_executions = 0
    for blueprints, executions in sizes:
        say(f"expectations: {2 * blueprints:,} expectations on {executions:,} executions, {engine}")
        _expectations(made_blueprints, blueprints)
        _executions(made_executions, executions, blueprints, now)
        made_blueprints, made_executions = blueprints, executions
        evaluation.evaluate()
        with CaptureQueriesContext(connection) as ctx:
            verdicts = evaluation.evaluate()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            evaluation.evaluate()
            times.append(time.perf_counter() - started)
        results[(blueprints, executions)] = {
            "queries": len(ctx.captured_queries), "seconds": median(times), "checked": len(verdicts),
        }
    return {"rows": _rows(results, engine), "details": {f"{k[0]}/{k[1]}": v for k, v in results.items()}}


def _expectations(start, end):
    from expectations.models import Expectation, Kind

    Expectation.objects.bulk_create(
        [
            Expectation(blueprint_uuid=uuid_lib.uuid4(), blueprint_name=f"Blueprint {i}", **rule)
            for i in range(start, end)
            for rule in ({"kind": Kind.VOLUME, "at_least": 1, "within_minutes": 60},
                         {"kind": Kind.DEADLINE, "finish_within_minutes": 60})
        ],
        batch_size=2000,
    )


def _executions(start, end, blueprints, now):
    """Executions spread over 30 days and every blueprint; the newest hour has some of each."""
    from executions.models import Execution, PollState

    span = 30 * 86400

    def created(i):
        # The last blueprints' worth of executions fall in the last 50 minutes: every volume is met.
        if i >= end - blueprints:
            return now - timedelta(seconds=(end - i) * 3000 / blueprints)
        return now - timedelta(seconds=3600 + (i * 7919) % span)

    Execution.objects.bulk_create(
        [
            Execution(
                uuid=uuid_lib.uuid4(), name=f"Blueprint {i % blueprints}",
                status="in_progress" if i % 50 == 0 else "completed", is_finished=i % 50 != 0,
                remote_created_at=created(i), remote_updated_at=created(i) + timedelta(seconds=30),
                poll_state=PollState.OK, payload_hash=f"{i:064x}", version=1,
            )
            for i in range(start, end)
        ],
        batch_size=2000,
    )


def _rows(results, engine):
    sizes = sorted(results)
    label = " / ".join(f"{2 * b:,} exp, {e:,} exec" for b, e in sizes)
    counts = [results[s]["queries"] for s in sizes]
    out = [
        row(SECTION, "SQL queries: one evaluation", " / ".join(map(str, counts)), engine=engine, n=label,
            target="constant", ok=len(set(counts)) == 1),
    ]
    for blueprints, executions in sizes:
        out.append(
            row(SECTION, "time: one evaluation (median)", ms(results[(blueprints, executions)]["seconds"]),
                engine=engine, n=f"{2 * blueprints:,} exp, {executions:,} exec",
                target="< EXPECTATION_CHECK_SECONDS (60 s)",
                ok=results[(blueprints, executions)]["seconds"] < 60)
        )
    return out
