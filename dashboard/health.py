"""/healthz: database and broker status for load balancers and compose healthchecks.

It is about the monitor's own process, not about Plannr: a broken Plannr connection
does not fail it (restarting the monitor would not fix a revoked token). The answer
says so and points at where connections are watched (docs/connections.md).

The answer names what is checked and, on failure, only the exception's class:
never a URL, a host name, a password or a message that might hold one.

Run as a module it is also the containers' healthcheck (slim images have no curl):
  python -m dashboard.health web    GET /healthz on the local gunicorn; 0 when it says 200
  python -m dashboard.health beat   0 when beat's schedule file was written recently
                                     (--seen: and beat's heartbeat is recent)
  python -m dashboard.health seen --queues polling
                                    0 when a worker consuming each queue was seen recently

/healthz?deep=1 adds the workers (one check per queue) and beat: each must have
been seen within 3 × HEARTBEAT_SECONDS (dashboard/heartbeat.py).
"""

import os
import sys
import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 2.0


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy"; the class is enough to say why
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _check_broker():
    from dashboard.celery import app

    conn = app.connection_for_write()
    try:
        # One attempt, bounded: a healthcheck must answer quickly, not retry for minutes.
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
        )
        transport = conn.transport.driver_type
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        conn.release()
    return {"ok": True, "transport": transport}


def _check_seen(names):
    """{name: {"ok", "seen_s_ago"}}: seen within MISSED_BEATS heartbeat periods."""
    from dashboard import heartbeat

    limit = heartbeat.MISSED_BEATS * heartbeat.period()
    try:
        ages = heartbeat.last_seen(names)
    except Exception as exc:
        return {name: {"ok": False, "error": type(exc).__name__} for name in names}
    return {
        name: {"ok": age is not None and age <= limit, "seen_s_ago": None if age is None else round(age, 1)}
        for name, age in ages.items()
    }


def deep_checks():
    from django.conf import settings

    return {
        "workers": _check_seen(list(settings.CELERY_TASK_QUEUES)),
        "beat": _check_seen(["beat"])["beat"],
    }


def _ok(check):
    return check["ok"] if "ok" in check else all(_ok(c) for c in check.values())


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    if request.GET.get("deep") == "1":
        checks.update(deep_checks())
    healthy = all(_ok(c) for c in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": checks,
            "scope": "this process (database, broker); Plannr connections: the plannr_connection_up metric",
        },
        status=200 if healthy else 503,
    )


# --- Container probes --------------------------------------------------------------------


def probe_web(port=8000, timeout=5.0):
    """0 when the local web server's /healthz answers 200.

    The Host header is SITE_URL's host, which ALLOWED_HOSTS accepts; /healthz is
    exempt from the HTTPS redirect, so plain HTTP inside the container works.
    """
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    host = urlsplit(os.environ.get("SITE_URL", "")).netloc or "localhost"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"/healthz answered {exc.code}: {exc.read(500).decode(errors='replace')}", file=sys.stderr)
    except OSError as exc:
        print(f"/healthz did not answer: {type(exc).__name__}", file=sys.stderr)
    return 1


def probe_beat(schedule, max_age):
    """0 when beat's schedule file (any of the dbm's files) changed in the last `max_age` s.

    Beat syncs it every 3 minutes while it sends tasks, so a stale file means a
    beat that is stuck or no longer sending.
    """
    folder, stem = os.path.split(schedule)
    try:
        names = [n for n in os.listdir(folder or ".") if n.startswith(stem)]
        mtimes = [os.path.getmtime(os.path.join(folder or ".", n)) for n in names]
    except OSError:
        mtimes = []
    if not mtimes:
        print(f"no beat schedule file at {schedule}", file=sys.stderr)
        return 1
    age = time.time() - max(mtimes)
    if age > max_age:
        print(f"beat schedule not written for {age:.0f} s", file=sys.stderr)
        return 1
    return 0


def probe_seen(names):
    """0 when each of `names` (queues, or "beat") was seen recently; needs Django."""
    import django

    django.setup()
    missing = {name: c for name, c in _check_seen(names).items() if not c["ok"]}
    for name, check in missing.items():
        what = "beat" if name == "beat" else f"no worker for the {name} queue"
        print(f"{what}: not seen for {check.get('seen_s_ago') or 'ever'} s", file=sys.stderr)
    return 1 if missing else 0


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dashboard.health")
    sub = parser.add_subparsers(dest="probe", required=True)
    web = sub.add_parser("web", help="GET /healthz on the local web server")
    web.add_argument("--port", type=int, default=8000)
    beat = sub.add_parser("beat", help="check that beat's schedule file is fresh")
    beat.add_argument("--schedule", required=True)
    beat.add_argument("--max-age", type=float, default=240.0)
    beat.add_argument("--seen", action="store_true", help="and check beat's heartbeat")
    seen = sub.add_parser("seen", help="check that a worker consuming each queue was seen recently")
    seen.add_argument("--queues", required=True, help="comma-separated queue names")
    args = parser.parse_args(argv)
    if args.probe == "web":
        return probe_web(args.port)
    if args.probe == "seen":
        return probe_seen(args.queues.split(","))
    return probe_beat(args.schedule, args.max_age) or (probe_seen(["beat"]) if args.seen else 0)


if __name__ == "__main__":
    sys.exit(main())
