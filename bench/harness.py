"""What every benchmark needs: its own database, the simulator and Celery as real processes, timing.

Each benchmark runs in a process of its own (see __main__.py), on a database of
its own copied from one migrated template, so that no benchmark inherits another's
rows, settings or warm caches. Everything it starts (simulator, workers, beat) is
a subprocess in its own process group, stopped by the benchmark that started it.

Where the bench runs (environment):
- BENCH_DATABASE_URL: a PostgreSQL server URL whose user may CREATE DATABASE
  (default postgres://postgres@127.0.0.1:5432/postgres); each run creates
  `bench_<run>_*` databases there and drops them at the end.
- BENCH_REDIS_URL: a Redis database for the bench's broker and rate budget
  (default redis://127.0.0.1:6379/14). The bench purges its Celery queue there,
  so never point it at a database a running product uses.
- VAR_DIR: results go to $VAR_DIR/bench/ (default var/bench/), logs beside them.
"""

import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ops.supervisor import die_with_parent

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
POSTGRESQL, SQLITE = "postgresql", "sqlite"


class BenchError(RuntimeError):
    """A problem with the bench's surroundings, reported as one clear line."""


# --- where things are ------------------------------------------------------------------


def pg_server_url():
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG


def redis_url():
    return os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS


def bench_dir():
    return Path(os.environ.get("VAR_DIR") or ROOT / "var") / "bench"


def run_dir():
    path = bench_dir() / "runs" / os.environ["BENCH_RUN_ID"]
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir():
    path = run_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- databases -------------------------------------------------------------------------


def _pg_url(database):
    parts = urlsplit(pg_server_url())
    return urlunsplit(parts._replace(path=f"/{database}"))


def _pg_admin(sql):
    import psycopg

    try:
        with psycopg.connect(pg_server_url(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL at BENCH_DATABASE_URL ({_redacted(pg_server_url())}) is not usable: "
            f"{str(exc).strip().splitlines()[0]}"
        ) from None


def _redacted(url):
    parts = urlsplit(url)
    if parts.password:
        return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))
    return url


def template_name():
    return f"bench_{os.environ['BENCH_RUN_ID']}_template"


def template_url(engine):
    if engine == POSTGRESQL:
        return _pg_url(template_name())
    return f"sqlite:///{run_dir() / 'template.sqlite3'}"


def create_template(engine):
    if engine == POSTGRESQL:
        _pg_admin(f'DROP DATABASE IF EXISTS "{template_name()}"')
        _pg_admin(f'CREATE DATABASE "{template_name()}"')


def drop_template(engine):
    if engine == POSTGRESQL:
        _pg_admin(f'DROP DATABASE IF EXISTS "{template_name()}" WITH (FORCE)')


def fresh_database(engine, name):
    """(DATABASE_URL, drop) for a new database copied from the run's migrated template."""
    if engine == POSTGRESQL:
        database = f"bench_{os.environ['BENCH_RUN_ID']}_{name}"
        _pg_admin(f'DROP DATABASE IF EXISTS "{database}"')
        _pg_admin(f'CREATE DATABASE "{database}" TEMPLATE "{template_name()}"')
        return _pg_url(database), lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    path = run_dir() / f"{name}.sqlite3"
    shutil.copyfile(run_dir() / "template.sqlite3", path)

    def drop():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return f"sqlite:///{path}", drop


def check_redis():
    import redis

    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise BenchError(
            f"Redis at BENCH_REDIS_URL ({_redacted(redis_url())}) is not usable: {exc}"
        ) from None


def bootstrap(engine, name, env):
    """Set the environment, give this process a fresh database and set Django up. Returns a cleanup."""
    url, drop = fresh_database(engine, name)
    os.environ.update(env)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()

    def cleanup():
        from django.db import connections

        connections.close_all()
        drop()

    return cleanup


def purge_queue():
    """Drop whatever an earlier, interrupted run left in the bench's Celery queues."""
    from django.conf import settings

    from dashboard.celery import app

    with app.connection_for_write() as conn:
        for queue in settings.CELERY_TASK_QUEUES:
            conn.default_channel.queue_purge(queue)


def forget_rate_budget(fingerprint):
    import redis

    client = redis.Redis.from_url(redis_url())
    keys = list(client.scan_iter(f"plannr:ratelimit:{fingerprint}:*"))
    if keys:
        client.delete(*keys)


# --- processes -------------------------------------------------------------------------


class Process:
    """A subprocess in its own process group, its output in the run's logs/ folder."""

    def __init__(self, args, name, env=None):
        self.name = name
        self.log_path = log_dir() / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env or dict(os.environ),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Its own session (so a stop reaches its whole group), yet it dies with us.
            preexec_fn=die_with_parent(),
        )

    def output(self):
        return self.log_path.read_text(errors="replace")

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()


def stop_all(processes):
    """Stop several processes at once: each is told before any is waited for, so that their
    warm shutdowns (a task finishing, a wait in the rate limiter) overlap."""
    processes = list(processes)
    for proc in processes:
        if proc.alive():
            os.killpg(proc.popen.pid, signal.SIGTERM)
    for proc in processes:
        proc.stop()


def peak_rss_kb(process):
    """{pid: VmHWM in kB} for a Process and everything in its process group (pool children).

    VmHWM is the kernel's high-water mark of the resident set: the peak, not a sample.
    """
    peaks = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != process.popen.pid:  # the process group id
                continue
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peaks[int(entry)] = int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return peaks


def celery_worker(name, concurrency=1, env=None):
    args = [
        PY,
        "-m",
        "celery",
        "-A",
        "dashboard",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        f"--hostname={name}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return Process(args, name, _celery_env(env))


def celery_beat(env=None):
    schedule = run_dir() / f"beat-schedule-{os.getpid()}"
    args = [PY, "-m", "celery", "-A", "dashboard", "beat", "--loglevel=INFO", f"--schedule={schedule}"]
    return Process(args, "beat", _celery_env(env))


def _celery_env(extra):
    env = dict(os.environ)
    env["LOG_LEVEL"] = "INFO"  # the polling logs are part of what is measured
    env.update(extra or {})
    return env


def wait_ready(workers, timeout=90):
    """Until every worker has said it is ready (or one died)."""

    def ready():
        for worker in workers:
            if not worker.alive():
                raise BenchError(f"{worker.name} exited early; see {worker.log_path}")
        return all(" ready." in w.output() for w in workers)

    wait_until(ready, timeout=timeout, message="the Celery workers to be ready")


class Simulator:
    """`manage.py plannr_simulator` on a free port, with its control client."""

    def __init__(self, token, *, rate_limit=500, max_request_line=8192, name="simulator", new_per_minute=0):
        from simulator.control import SimulatorControl

        args = [
            PY,
            "manage.py",
            "plannr_simulator",
            "--port",
            "0",
            "--executions",
            "0",
            "--token",
            token,
            "--rate-limit",
            str(rate_limit),
            "--max-request-line",
            str(max_request_line),
            "--new-per-minute",
            str(new_per_minute),
        ]
        self.log_path = log_dir() / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        self.url = self._read_url()
        self.control = SimulatorControl(self.url, token, timeout=120)

    def _read_url(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.popen.stdout], [], [], 0.5)
            if ready:
                line = self.popen.stdout.readline().decode(errors="replace")
                match = re.search(r"on (http://\S+)", line)
                if match:
                    return match.group(1)
                if not line and self.popen.poll() is not None:
                    break
        self.stop()
        raise BenchError(f"the simulator did not start; see {self.log_path}")

    def stop(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def fetch_payloads(sim, token, uuids, batch):
    """The executions as Plannr serves them (set-up, with the simulator's limit out of the way)."""
    import requests

    from plannr.client import EXECUTIONS_PATH
    from simulator.tenancy import firm_account_uuid

    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json",
                                     "X-PLANNR-ACCOUNT-UUID": firm_account_uuid()})
    payloads = []
    for i in range(0, len(uuids), batch):
        chunk = uuids[i : i + batch]
        response = session.get(
            f"{sim.url}{EXECUTIONS_PATH}?filter[uuid]={','.join(chunk)}&per_page={len(chunk)}&include=account",
            timeout=60,
        )
        if response.status_code != 200:
            raise BenchError(f"set-up fetch answered {response.status_code}")
        payloads += json.loads(response.content)["data"]
    return payloads


# --- waiting and statistics ---------------------------------------------------------------


def wait_until(predicate, *, timeout, message, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(interval)


def median(values):
    return statistics.median(values)


def p95(values):
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]
