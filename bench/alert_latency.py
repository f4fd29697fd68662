"""3. Alert latency: from a step failing in the simulator to the email reaching an SMTP server.

Real parts end to end: the simulator process; `celery beat` scheduling the
dispatcher every POLL_DISPATCH_SECONDS; a `celery worker` that polls, ingests,
records the failure and sends the email; and an aiosmtpd server in this process
that timestamps each message when it accepts it. Each of K watched, running
executions is made to fail (a failed step, as Plannr reports it) at a random
moment spread over two poll intervals, so that failures land at every phase of the
poll cycle; its latency runs from that change in the simulator to its email's
arrival. The breakdown splits it at the moment ingest recorded the failure.
"""

import random
import threading
import time

from .harness import (
    BenchError,
    Simulator,
    celery_beat,
    celery_worker,
    median,
    purge_queue,
    stop_all,
    wait_ready,
    wait_until,
)
from .table import row, secs

SECTION = "3. alert latency"
SLACK = 5.0
BLUEPRINT = "Send client welcome pack to newly created client"
PLANNR_INFO = '"[{errors : "the account_uuid field is required" }]"'


def _config(quick):
    return {"interval": 5, "samples": 5} if quick else {"interval": 15, "samples": 20}


def env(quick):
    return {
        "POLL_INTERVAL_SECONDS": str(_config(quick)["interval"]),
        # Every failure here gets its own email: the hourly cap is not what is measured.
        "ALERT_EMAILS_PER_HOUR": "1000",
        # Nor is the fold window, a deliberate wait on top (INCIDENT_ALERT_WINDOW_SECONDS,
        # docs/alerts.md): measured is the path from Plannr to the inbox.
        "INCIDENT_ALERT_WINDOW_SECONDS": "0",
    }


class Inbox:
    """An aiosmtpd server on a free port that notes when each message arrived."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                inbox._store(time.time(), envelope.content)
                return "250 Message accepted for delivery"

        class FreePortController(Controller):
            def _trigger_server(self):
                # Asked for port 0: learn the real one before the readiness probe connects.
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        self.messages = []
        self._lock = threading.Lock()
        self.controller = FreePortController(Handler(), hostname="127.0.0.1", port=0)

    def _store(self, at, content):
        with self._lock:
            self.messages.append(
                (at, content.decode("utf-8", "replace") if isinstance(content, bytes) else content)
            )

    def received(self):
        with self._lock:
            return list(self.messages)

    def start(self):
        import logging

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller.start()
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.controller.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_USE_SSL": "false",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def stop(self):
        self.controller.stop()


def run(*, engine, quick, say):
    import os

    from django.conf import settings
    from django.utils import timezone

    from alerts.models import FailureEvent
    from executions import polling
    from executions.models import Execution

    from . import rows

    c = _config(quick)
    interval, samples = c["interval"], c["samples"]
    inbox = Inbox()
    os.environ.update(inbox.start())
    token = settings.PLANNR_API_TOKEN
    processes = []
    try:
        with Simulator(token) as sim:
            os.environ["PLANNR_BASE_URL"] = settings.PLANNR_BASE_URL = sim.url
            uuids = [
                sim.control.create_execution(
                    name=BLUEPRINT,
                    steps=[{"name": "Create client folder", "status": "completed"}],
                    next_step={"name": "Send SMS"},
                    account={"first_name": "Client", "last_name": f"Number {i}"},
                )["uuid"]
                for i in range(samples)
            ]
            rows.watch_new(rows.user(), uuids)
            polling.run_cycle()  # the executions as a first poll leaves them: running, no failure
            purge_queue()
            say(f"alert latency: {samples} failures, poll interval {interval} s, worker + beat")
            processes.append(celery_worker("alert-worker", concurrency=2))
            wait_ready(processes)
            processes.append(celery_beat())
            since = timezone.now()
            wait_until(
                lambda: Execution.objects.filter(last_polled_at__gt=since).count() == samples,
                timeout=interval + 60,
                message="the worker's first polls",
            )
            rng = random.Random(samples)
            offsets = sorted(rng.uniform(0, 2 * interval) for _ in uuids)
            failed_at = {}
            started = time.time()
            for n, (execution_uuid, offset) in enumerate(zip(rng.sample(uuids, len(uuids)), offsets)):
                time.sleep(max(0.0, started + offset - time.time()))
                failed_at[execution_uuid] = time.time()
                # A step of its own per execution: one incident, so one email, each.
                sim.control.drive(
                    execution_uuid,
                    status="failed",
                    next_step=None,
                    add_steps=[{"name": f"Send SMS {n}", "status": "failed", "info": PLANNR_INFO}],
                )
            wait_until(
                lambda: len(inbox.received()) >= samples,
                timeout=interval + 90,
                message=f"{samples} alert emails",
                interval=0.05,
            )
            for proc in processes:
                if not proc.alive():
                    raise BenchError(f"{proc.name} exited during the run; see {proc.log_path}")
    finally:
        stop_all(reversed(processes))
        inbox.stop()

    arrived = {}
    for at, content in inbox.received():
        for execution_uuid in failed_at:
            if execution_uuid in content:
                arrived.setdefault(execution_uuid, at)
    if len(arrived) != samples:
        raise BenchError(f"{samples} failures but {len(arrived)} emails matched an execution")
    detected = {
        str(uuid): at.timestamp()
        for uuid, at in FailureEvent.objects.filter(kind="failed").exclude(step_uuid="").values_list(
            "execution__uuid", "detected_at"
        )
    }
    latencies = [arrived[u] - failed_at[u] for u in failed_at]
    to_detect = [detected[u] - failed_at[u] for u in failed_at]
    to_send = [arrived[u] - detected[u] for u in failed_at]
    details = {
        "interval": interval,
        "samples": samples,
        "latencies": latencies,
        "to_detect": to_detect,
        "to_send": to_send,
        "dispatch_seconds": settings.POLL_DISPATCH_SECONDS,
    }
    return {"rows": _rows(details, engine), "details": details}


def _rows(d, engine):
    interval, n = d["interval"], d["samples"]
    limit = interval + SLACK
    lat = d["latencies"]
    base = f"poll interval {interval} s"
    return [
        row(
            SECTION,
            "failure to email received, median",
            secs(median(lat)),
            engine=engine,
            n=n,
            baseline=base,
            target=f"≤ {limit:g} s",
            ok=median(lat) <= limit,
        ),
        row(
            SECTION,
            "failure to email received, max",
            secs(max(lat)),
            engine=engine,
            n=n,
            baseline=base,
            target=f"≤ {limit:g} s",
            ok=max(lat) <= limit,
        ),
        row(
            SECTION,
            "of which: until ingest recorded it (median / max)",
            f"{secs(median(d['to_detect']))} / {secs(max(d['to_detect']))}",
            engine=engine,
            n=n,
            baseline=f"dispatch every {d['dispatch_seconds']:g} s",
        ),
        row(
            SECTION,
            "of which: recorded to received (median / max)",
            f"{secs(median(d['to_send']))} / {secs(max(d['to_send']))}",
            engine=engine,
            n=n,
        ),
    ]
