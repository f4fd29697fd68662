"""4. Shared rate budget: four workers, one token, the simulator's real per-minute limit.

Four `celery worker` processes and `celery beat` (which schedules `dispatch_polls`)
poll watched, running executions through one token, against the simulator enforcing
the same limit the product budgets for. For a bounded window we count what the
simulator answered (429s, list requests, UUIDs refreshed) and read the workers'
logs for "poll cycle behind schedule by Xs".

Two loads: one the budget can refresh at the poll interval, and three times that,
which it cannot: there the cycle must stretch with no 429, and the logs must say
by how much. The executions start as a previous poll left them (payload hash
stored), so the figures are about requests, not first ingests.

Quick mode keeps the over-budget load only, with two workers, a smaller budget
(20 requests/min on both sides) and a 5 s interval; its window is shorter than the
61 s budget window, so its per-minute rates are indicative only.
"""

import re
import time

from .harness import (
    BenchError,
    Simulator,
    celery_beat,
    celery_worker,
    peak_rss_kb,
    fetch_payloads,
    forget_rate_budget,
    purge_queue,
    stop_all,
    wait_ready,
    wait_until,
)
from .table import count, row, secs

SECTION = "4. shared budget"
WORKERS = 4
# Two share the budget as well as four do; each worker's start-up costs a quick run seconds.
QUICK_WORKERS = 2
SETUP_LIMIT = 10_000_000
LAG = re.compile(r"poll cycle behind schedule by (\d+)s")
WAITED = re.compile(r"waited ([\d.]+)s for the shared rate budget")


def _config(quick):
    if quick:
        # One case, over budget (demand 19,200/min against 2,000): the one that can go wrong.
        return {"limit": 20, "interval": 5, "cases": [(1_600, 15)]}
    return {"limit": 500, "interval": 15, "cases": [(20_000, 75), (60_000, 125)]}


def env(quick):
    c = _config(quick)
    return {"PLANNR_RATE_LIMIT_PER_MINUTE": str(c["limit"]), "POLL_INTERVAL_SECONDS": str(c["interval"])}


def run(*, engine, quick, say):
    import os

    from django.conf import settings

    from plannr.wire import token_fingerprint

    from . import rows

    c = _config(quick)
    token = settings.PLANNR_API_TOKEN
    fingerprint = token_fingerprint(token)
    batch = settings.PLANNR_BATCH_SIZE
    out_rows, details = [], {}
    with Simulator(token, rate_limit=SETUP_LIMIT) as sim:
        os.environ["PLANNR_BASE_URL"] = settings.PLANNR_BASE_URL = sim.url
        purge_queue()
        forget_rate_budget(fingerprint)
        owner = rows.user()
        n_workers = QUICK_WORKERS if quick else WORKERS
        workers = [celery_worker(f"budget-worker-{i}") for i in range(n_workers)]
        uuids = []
        try:
            for n, window in c["cases"]:
                say(
                    f"shared budget: {n:,} executions, {n_workers} workers, "
                    f"{c['limit']} requests/min, {window} s"
                )
                new = sim.control.create_many(n - len(uuids), status="in_progress", steps=2)
                rows.watch_polled(owner, fetch_payloads(sim, token, new, batch))
                uuids += new
                wait_ready(workers)
                result = _window(sim, workers, fingerprint, c, window)
                result["peak_rss_kb"] = [sorted(peak_rss_kb(w).values()) for w in workers]
                result.update(n=n, window_s=window, limit=c["limit"], interval=c["interval"], batch=batch)
                details[str(n)] = result
                out_rows += _rows(result, quick)
                if n != c["cases"][-1][0]:
                    _drain(sim, fingerprint)
        finally:
            stop_all(workers)
    return {"rows": out_rows, "details": details}


def _window(sim, workers, fingerprint, c, window):
    """Run beat for `window` seconds from a clean budget; what the simulator and the logs saw."""
    from . import rows

    control = sim.control
    forget_rate_budget(fingerprint)
    control.set_faults(rate_limit_per_minute=c["limit"], reset=True)
    control.reset_stats()
    offsets = [len(w.output()) for w in workers]
    rows.make_all_due()
    beat = celery_beat()

    def check_alive():
        for proc in (beat, *workers):
            if not proc.alive():
                raise BenchError(f"{proc.name} exited during the run; see {proc.log_path}")

    try:
        # The window opens with the first request, not with beat's start-up.
        wait_until(
            lambda: check_alive() or control.stats()["list_requests"],
            timeout=60,
            message="the first poll request",
            interval=0.05,
        )
        started = time.monotonic()
        before = control.stats()
        while time.monotonic() - started < window:
            check_alive()
            time.sleep(max(0.01, min(1.0, window - (time.monotonic() - started))))
        stats = control.stats()
        elapsed = time.monotonic() - started
    finally:
        beat.stop()
    counted = len(before["list_uuid_counts"])
    logs = "".join(w.output()[o:] for w, o in zip(workers, offsets))
    lags = [int(x) for x in LAG.findall(logs)]
    waits = [float(x) for x in WAITED.findall(logs)]
    return {
        "elapsed_s": elapsed,
        "list_requests": stats["list_requests"] - before["list_requests"],
        "single_requests": stats["single_requests"] - before["single_requests"],
        "uuids_refreshed": sum(stats["list_uuid_counts"][counted:]),
        "rate_limited": stats["rate_limited"],  # from the first request on
        "by_status": stats["by_status"],
        "lag_warnings": len(lags),
        "max_lag_s": max(lags, default=0),
        "last_lag_s": lags[-1] if lags else 0,
        "budget_waits": len(waits),
        "max_budget_wait_s": max(waits, default=0.0),
    }


def _drain(sim, fingerprint):
    """Let the queued batches finish before the next load starts from a clean budget."""
    from django.utils import timezone

    from executions.models import Execution

    # Batches already queued may be waiting on the budget: lift the limits so they go now.
    sim.control.set_faults(rate_limit_per_minute=SETUP_LIMIT, reset=True)
    forget_rate_budget(fingerprint)
    wait_until(
        lambda: not Execution.objects.in_flight(timezone.now()).exists(),
        timeout=180,
        message="the queued batches to finish",
        interval=0.5,
    )


def _rows(r, quick):
    n, limit, batch, interval = r["n"], r["limit"], r["batch"], r["interval"]
    minutes = r["elapsed_s"] / 60
    per_minute = r["uuids_refreshed"] / minutes
    ceiling = limit * batch
    demand = n * 60 / interval
    cycle = n / per_minute * 60 if per_minute else float("inf")
    short = quick and n * 60 / interval > ceiling
    out = [
        row(
            SECTION,
            "429s from the simulator",
            count(r["rate_limited"]),
            n=n,
            engine="postgresql",
            baseline=f"{r['list_requests']:,} list requests in {r['elapsed_s']:.0f} s",
            target="0",
            ok=r["rate_limited"] == 0,
        ),
        row(
            SECTION,
            "executions refreshed per minute",
            count(round(per_minute)),
            n=n,
            engine="postgresql",
            baseline=f"ceiling {ceiling:,}/min",
            ratio=per_minute / ceiling,
            note=None
            if not short
            else "quick run: the window is shorter than the 61 s budget window, "
            "so a burst of one full budget can exceed the per-minute ceiling",
        ),
        row(
            SECTION,
            "effective poll cycle",
            secs(cycle),
            n=n,
            engine="postgresql",
            baseline=f"interval {interval} s; demand {demand:,.0f}/min",
            ratio=cycle / interval,
        ),
        row(
            SECTION,
            'logged "behind schedule by"',
            f"max {r['max_lag_s']} s" if r["lag_warnings"] else "none",
            n=n,
            engine="postgresql",
            baseline=f"{r['lag_warnings']} warning(s), last {r['last_lag_s']} s" if r["lag_warnings"] else "",
            target="said when stretched" if demand > ceiling else "",
            ok=(r["lag_warnings"] > 0) if demand > ceiling else None,
        ),
    ]
    peaks = [p for p in r.get("peak_rss_kb", []) if p]
    if peaks:
        worst = max(peaks, key=sum)
        out.append(
            row(
                SECTION,
                "peak RSS of a real worker (VmHWM: parent + pool child)",
                f"{sum(worst) / 1024:.0f} MB",
                n=n,
                engine="postgresql",
                baseline=" + ".join(f"{kb / 1024:.0f} MB" for kb in worst) + f"; {len(peaks)} workers",
            )
        )
    return out
