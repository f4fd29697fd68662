"""7. Monitor pages at scale: a monitor's executions, the monitors page and the overview.

One "everything" monitor has found N executions (1,000, then 100,000), found over 30
days, a mix of running, finished and failing ones. In-process with django.test.Client,
the same signed-in user, taking turns round after round with a trivial view behind the
same login check (bench/urls.py):
- the monitor's executions page, and its partial when rows changed (rendered, counts
  fresh) and when nothing changed (the current fingerprint: 204), the default sort
  (failing first);
- the overview page and its partial when nothing changed;
- the monitors page's partial when nothing changed.
Queries are counted with CaptureQueriesContext at each N: they must not grow.
"""

import re
import time
import uuid as uuid_lib
from datetime import timedelta

from .harness import median, p95
from .table import ms, row

SECTION = "7. monitor pages"
HTMX = {"HX-Request": "true"}
RATIO_TARGET = 3.0
KNOWN = re.compile(rb'"known": "([0-9a-f]+)"')


def env(quick):
    return {}


def run(*, engine, quick, say):
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from monitors.models import Monitor, Scope

    from . import rows
    from .pages import _analyze, _steer_clear_of_the_minute

    sizes = [1_000] if quick else [1_000, 100_000]
    rounds = 10 if quick else 40
    owner = rows.user("owner")
    monitor = Monitor.objects.create(name="Everything", scope=Scope.EVERYTHING, start_at=_now() - timedelta(days=30))
    results = {}
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client()
        client.force_login(owner)
        requests = _requests(client, monitor.pk)
        made = 0
        for n in sizes:
            say(f"monitor pages: {n:,} executions found on {engine}, {rounds} rounds")
            _found(monitor, n - made, start=made)
            made = n
            _analyze()
            queries = {}
            for name, send in requests.items():
                _steer_clear_of_the_minute(client, "", margin=8.0)
                known = _known(client, name, monitor.pk)
                send(known)
                with CaptureQueriesContext(connection) as ctx:
                    send(known)
                queries[name] = len(ctx.captured_queries)
            times = {name: [] for name in requests}
            for _ in range(rounds):
                _steer_clear_of_the_minute(client, "", margin=8.0)
                knowns = {name: _known(client, name, monitor.pk) for name in requests}
                for name, send in requests.items():
                    started = time.perf_counter()
                    send(knowns[name])
                    times[name].append(time.perf_counter() - started)
            results[n] = {"queries": queries, "times": times}
    return {"rows": _rows(results, engine), "details": {str(n): r for n, r in results.items()}}


def _now():
    from django.utils import timezone

    return timezone.now()


def _requests(client, pk):
    def get(url, expect, **kwargs):
        response = client.get(url, **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url} answered {response.status_code}, expected {expect}")
        return response

    return {
        "trivial view": lambda known: get("/bench/trivial/", 200),
        "monitor page": lambda known: get(f"/monitors/{pk}/", 200),
        "monitor partial, rows changed": lambda known: get(f"/monitors/{pk}/rows/", 200, headers=HTMX),
        "monitor partial, nothing changed": lambda known: get(
            f"/monitors/{pk}/rows/", 204, data={"known": known}, headers=HTMX
        ),
        "overview page": lambda known: get("/overview/", 200),
        "overview partial, nothing changed": lambda known: get(
            "/overview/live/", 204, data={"known": known}, headers=HTMX
        ),
        "monitors partial, nothing changed": lambda known: get(
            "/monitors/live/", 204, data={"known": known}, headers=HTMX
        ),
    }


_PAGE_OF = {"monitor partial, nothing changed": "monitor", "overview partial, nothing changed": "/overview/",
            "monitors partial, nothing changed": "/monitors/"}


def _known(client, name, pk):
    page = _PAGE_OF.get(name)
    if page is None:
        return ""
    url = f"/monitors/{pk}/" if page == "monitor" else page
    match = KNOWN.search(client.get(url).content)
    if not match:
        raise RuntimeError(f"{url} carries no `known` fingerprint for its poller")
    return match.group(1).decode()


def _found(monitor, n, start):
    """n executions the monitor found, found over 30 days, varied like real ones."""
    from executions.models import Execution, PollState
    from monitors.models import Finding

    now = _now()
    statuses = ["in_progress", "completed", "completed", "failed", "completed"]

    def ago(i):
        # Nothing near the 24-hour mark: its counts would change while the bench measures.
        seconds = (start + n - i) * 25
        return timedelta(seconds=seconds + (3 * 3600 if 23 * 3600 <= seconds <= 25 * 3600 else 0))

    executions = Execution.objects.bulk_create(
        [
            Execution(
                uuid=uuid_lib.uuid4(),
                name=f"Send client welcome pack to newly created client {i % 7}",
                status=statuses[i % 5],
                triggered_by="client.created",
                account_name=f"Client {i}",
                remote_created_at=now - ago(i),
                remote_updated_at=now - ago(i) + timedelta(seconds=20),
                steps_count=5,
                steps_done=i % 6,
                next_step={"name": "Send SMS", "status": "pending"},
                is_finished=statuses[i % 5] != "in_progress",
                is_failing=i % 5 == 3,
                failure_message="Send SMS: the account_uuid field is required" if i % 5 == 3 else "",
                poll_state=PollState.OK,
                last_polled_at=now - timedelta(seconds=i % 900),
                next_poll_at=now + timedelta(seconds=15) if i % 5 == 0 else None,
                payload_hash=f"{i:064x}",
                version=1,
            )
            for i in range(start, start + n)
        ],
        batch_size=2000,
    )
    Finding.objects.bulk_create(
        [Finding(monitor=monitor, execution=e, found_at=e.remote_created_at) for e in executions], batch_size=2000
    )


def _rows(results, engine):
    out = []
    sizes = sorted(results)
    names = [n for n in results[sizes[0]]["queries"] if n != "trivial view"]
    for name in names:
        counts = [results[n]["queries"][name] for n in sizes]
        out.append(
            row(SECTION, f"SQL queries: {name}", " / ".join(str(c) for c in counts), engine=engine,
                n=" / ".join(f"{n:,}" for n in sizes), baseline=f"trivial view {results[sizes[0]]['queries']['trivial view']}",
                target="constant", ok=len(set(counts)) == 1)
        )
    for n in sizes:
        times = results[n]["times"]
        trivial = median(times["trivial view"])
        for name in names:
            ratio = median(times[name]) / trivial
            partial = "partial" in name
            out.append(
                row(SECTION, f"latency: {name} (median / p95)", f"{ms(median(times[name]))} / {ms(p95(times[name]))}",
                    engine=engine, n=n, baseline=f"trivial {ms(trivial)} / {ms(p95(times['trivial view']))}",
                    ratio=ratio, target=f"median ≤ {RATIO_TARGET:g}× trivial" if partial else "",
                    ok=(ratio <= RATIO_TARGET) if partial else None)
            )
    return out
