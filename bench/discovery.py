"""6. Discovery with polling: one token, the default budget, a stream of new executions.

The simulator serves 20,000 running executions, all watched and polled (as a previous
poll left them), and creates new ones at 200 a minute (`--new-per-minute`, the usual
mix of outcomes, each running for a minute or so). An "everything" monitor, created
from now, sweeps every DISCOVERY_INTERVAL_SECONDS (60) in four `celery worker`
processes that also poll, with `celery beat` scheduling both; the simulator enforces
Plannr's 500 requests a minute, the same limit the product budgets for.

Counted at the simulator over the window: 429s (the target is none), list requests,
and UUIDs refreshed by polls. From the database: the executions discovery found, how
many requests its sweeps made, and the executions the simulator created in the window
(arrivals after the last sweep are found by the next one, so found ≈ arrivals up to
the last sweep). Quick mode keeps the shape with a budget of 20 requests a minute,
200 running executions, 20 new a minute and 5 s intervals.
"""

import time

from .harness import (
    BenchError,
    Simulator,
    celery_beat,
    celery_worker,
    fetch_payloads,
    forget_rate_budget,
    purge_queue,
    stop_all,
    wait_ready,
    wait_until,
)
from .table import count, row

SECTION = "6. discovery + polling"
WORKERS = 4
QUICK_WORKERS = 2  # as in shared_budget: enough to share the budget, cheaper to start
SETUP_LIMIT = 10_000_000


def _config(quick):
    if quick:
        return {"limit": 20, "interval": 5, "discovery": 5, "running": 200, "new": 20, "window": 10}
    return {"limit": 500, "interval": 15, "discovery": 60, "running": 20_000, "new": 200, "window": 150}


def env(quick):
    c = _config(quick)
    return {
        "PLANNR_RATE_LIMIT_PER_MINUTE": str(c["limit"]),
        "POLL_INTERVAL_SECONDS": str(c["interval"]),
        "DISCOVERY_INTERVAL_SECONDS": str(c["discovery"]),
    }


def run(*, engine, quick, say):
    import os

    from django.conf import settings

    from plannr.wire import token_fingerprint
    from monitors import services
    from monitors.models import Finding, Monitor, Scope

    from . import rows

    c = _config(quick)
    token = settings.PLANNR_API_TOKEN
    fingerprint = token_fingerprint(token)
    with Simulator(token, rate_limit=SETUP_LIMIT, new_per_minute=c["new"]) as sim:
        os.environ["PLANNR_BASE_URL"] = settings.PLANNR_BASE_URL = sim.url
        purge_queue()
        forget_rate_budget(fingerprint)
        owner = rows.user()
        say(f"discovery: {c['running']:,} running + {c['new']}/min new, {c['limit']} requests/min, {c['window']} s")
        running = sim.control.create_many(c["running"], status="in_progress", steps=2)
        rows.watch_polled(owner, fetch_payloads(sim, token, running, settings.PLANNR_BATCH_SIZE))
        workers = [celery_worker(f"discovery-worker-{i}") for i in range(QUICK_WORKERS if quick else WORKERS)]
        beat = None
        try:
            wait_ready(workers)
            forget_rate_budget(fingerprint)
            control = sim.control
            control.set_faults(rate_limit_per_minute=c["limit"], reset=True)
            control.reset_stats()
            rows.make_all_due()
            before_uuids = len(control.uuids())
            monitor = services.create_monitor(services.MonitorSpec(scope=Scope.EVERYTHING), creator=owner)
            beat = celery_beat()
            wait_until(lambda: control.stats()["list_requests"], timeout=60, message="the first request")
            started = time.monotonic()
            sweeps, requests = set(), 0
            while time.monotonic() - started < c["window"]:
                for proc in (beat, *workers):
                    if not proc.alive():
                        raise BenchError(f"{proc.name} exited during the run; see {proc.log_path}")
                m = Monitor.objects.get(pk=monitor.pk)
                if m.last_swept_at and m.last_swept_at not in sweeps:
                    sweeps.add(m.last_swept_at)
                    requests += m.last_sweep_requests
                time.sleep(0.5)
            stats = control.stats()
            elapsed = time.monotonic() - started
            arrived = len(control.uuids()) - before_uuids
            monitor.refresh_from_db()
        finally:
            if beat is not None:
                beat.stop()
            stop_all(workers)
        found = Finding.objects.filter(monitor=monitor).count()
    result = {
        "elapsed_s": elapsed,
        "rate_limited": stats["rate_limited"],
        "list_requests": stats["list_requests"],
        "single_requests": stats["single_requests"],
        "uuids_refreshed": sum(stats["list_uuid_counts"]),
        "sweeps": len(sweeps),
        "sweep_requests": requests,
        "found": found,
        "arrived": arrived,
        "lag_s": monitor.lag_seconds,
        "sweep_error": monitor.last_sweep_error,
        **c,
    }
    return {"rows": _rows(result), "details": result}


def _rows(r):
    n = f"{r['running']:,} + {r['new']}/min"
    minutes = r["elapsed_s"] / 60
    demand = r["running"] * 60 / r["interval"]
    return [
        row(SECTION, "429s from the simulator", count(r["rate_limited"]), n=n, engine="postgresql",
            baseline=f"{r['list_requests']:,} list requests in {r['elapsed_s']:.0f} s at {r['limit']}/min",
            target="0", ok=r["rate_limited"] == 0),
        row(SECTION, "executions refreshed by polls per minute", count(round(r["uuids_refreshed"] / minutes)),
            n=n, engine="postgresql", baseline=f"demand {demand:,.0f}/min", ratio=r["uuids_refreshed"] / minutes / demand),
        row(SECTION, "discovery requests per sweep", f"{r['sweep_requests'] / max(1, r['sweeps']):.1f}",
            n=n, engine="postgresql", baseline=f"{r['sweeps']} sweep(s), {r['sweep_requests']} request(s)",
            target="≈ 1 (one scope)", ok=r["sweeps"] > 0 and r["sweep_requests"] <= 2 * r["sweeps"]),
        row(SECTION, "new executions found", count(r["found"]), n=n, engine="postgresql",
            baseline=f"{r['arrived']:,} created in the window (the last sweep's later ones wait for the next)",
            ratio=r["found"] / r["arrived"] if r["arrived"] else float("nan"),
            note=r["sweep_error"] or ""),
        row(SECTION, "discovery lag after the window", f"{r['lag_s']:.0f} s", n=n, engine="postgresql",
            target="0", ok=r["lag_s"] == 0 and not r["sweep_error"]),
    ]
