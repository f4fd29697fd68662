"""The embedded run: `make run` brings the whole product up on one machine.

It migrates a SQLite database under var/, picks a broker, starts the Plannr
simulator (unless real Plannr is configured), the web server and a Celery
worker (with beat inside it) from the Procfile under a small supervisor
(dashboard/supervisor.py), creates the demo user, puts a dozen executions on
its watchlist and prints the URL. Routine log lines go to var/log/run.log; the
terminal shows warnings, errors and the banner. Ctrl-C stops everything.

This module deliberately does not import Django: it only prepares the
environment the processes get. It never reads `.env` either, because that file
holds the docker-compose stack's production values (PostgreSQL host names,
DEBUG off) that would break a local run.
"""

import argparse
import os
import base64
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import namedtuple
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROCFILE = BASE_DIR / "Procfile"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_WEB_PORT = 8000
DEFAULT_SIMULATOR_PORT = 8001
# A fixed seed keeps the simulated executions (and their UUIDs) the same from one
# run to the next, so the demo watchlist stays valid across restarts.
SIMULATOR_SEED = 2026
SIMULATOR_EXECUTIONS = 60
DEMO_USERNAME = "demo"
DEMO_WATCH_COUNT = 12
# The simulator's stream of new executions (the Procfile passes SIMULATOR_NEW_PER_MINUTE).
DEMO_NEW_PER_MINUTE = 6


def demo_alert_cap(new_per_minute):
    """ALERT_EMAILS_PER_HOUR under `make run` with the simulator: above anything the demo's
    stream can send in an hour, so that a failure someone makes by hand is emailed, not held.

    An execution causes at most one alert email in the hour it arrives (a new incident; its
    occurrences fold in, a reminder waits an hour, and nobody resolves for a regression), so an
    hour's emails are at most the watchlist plus that hour's arrivals. Arrivals are Poisson
    (360 an hour on average at 6 a minute): twice the mean is not reached.
    """
    return DEMO_WATCH_COUNT + 2 * 60 * new_per_minute + 1


class UsageError(Exception):
    """A configuration the embedded run cannot honour; the message says what to change."""


# --- Broker --------------------------------------------------------------------------


# Named tuples rather than dataclasses here: `dataclasses` imports inspect and ast,
# ~3 MB that this supervisor would hold for the whole run (issue 20, point 23).
class BrokerChoice(namedtuple("BrokerChoice", "kind redis_url broker_url message private_port", defaults=(None,))):
    """kind: "redis", "private-redis" or "filesystem"; redis_url: "" when there is no Redis at all."""

    __slots__ = ()


_PING = """
import sys, redis
try:
    client = redis.Redis.from_url(sys.argv[1], socket_connect_timeout=float(sys.argv[2]), socket_timeout=float(sys.argv[2]))
    sys.exit(0 if client.ping() else 1)
except (redis.RedisError, OSError, ValueError):
    sys.exit(1)
"""


def redis_answers(url, timeout=1.0):
    """True when a Redis server answers PING at `url`.

    Asked in a short-lived process: redis-py costs this supervisor ~20 MB of
    memory for the whole run otherwise (issue 20, point 23).
    """
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PING, url, str(timeout)], capture_output=True, timeout=timeout + 10, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def choose_broker(redis_url, *, answers=redis_answers, find_redis_server=None, free_port=None, force="auto"):
    """Decide where Celery's messages go.

    `redis_url` is REDIS_URL from the environment: None when unset (then the
    usual local Redis is tried), "" when set empty (the user says: not that one).
    1. Redis at that URL, when it answers;
    2. else a private redis-server on a free port, when one is installed;
    3. else kombu's filesystem transport, which needs no server at all.
    `force` ("redis", "private", "filesystem") skips the choice, for people and tests.
    """
    if force not in ("auto", "redis", "private", "filesystem"):
        raise UsageError(f"unknown broker choice {force!r}")
    find_redis_server = find_redis_server or (lambda: shutil.which("redis-server"))
    free_port = free_port or (lambda: pick_port(6380))
    candidate = DEFAULT_REDIS_URL if redis_url is None else redis_url
    if force == "redis" and not candidate:
        raise UsageError("--broker redis: REDIS_URL is empty.")

    if force in ("auto", "redis") and candidate:
        if answers(candidate):
            return BrokerChoice(
                kind="redis",
                redis_url=candidate,
                broker_url=candidate,
                message=f"Broker: Redis at {redact_url(candidate)}.",
            )
        if force == "redis":
            raise UsageError(f"--broker redis: Redis does not answer at {redact_url(candidate)}.")
    why = f"Redis does not answer at {redact_url(candidate)}" if candidate else "REDIS_URL is empty"

    if force in ("auto", "private"):
        server = find_redis_server()
        if server:
            port = free_port()
            url = f"redis://127.0.0.1:{port}/0"
            return BrokerChoice(
                kind="private-redis",
                redis_url=url,
                broker_url=url,
                message=f"Broker: {why}, so a private redis-server runs on port {port} for this session.",
                private_port=port,
            )
        if force == "private":
            raise UsageError("--broker private: redis-server is not installed (not found on PATH).")

    reason = why + " and redis-server is not installed" if force == "auto" else "--broker filesystem"
    return BrokerChoice(
        kind="filesystem",
        redis_url="",
        # A host name, though the transport ignores it, spares a kombu warning per process.
        broker_url="filesystem://localhost/",
        message=(
            f"Broker: NO REDIS ({reason}). Using kombu's filesystem transport under var/broker/: "
            "one worker process, a per-process rate limit. Fine for trying the product; "
            "install Redis (or set REDIS_URL) for anything more."
        ),
    )


def redact_url(url):
    """A URL fit to print: any password replaced."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}"
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


# --- Plannr: the simulator or the real thing --------------------------------------------


PlannrTarget = namedtuple("PlannrTarget", "simulated base_url token")


def choose_plannr(environ, *, simulator_port, token_file):
    """Real Plannr when both PLANNR_BASE_URL and PLANNR_API_TOKEN are set, else the simulator."""
    base_url = environ.get("PLANNR_BASE_URL", "").strip()
    token = environ.get("PLANNR_API_TOKEN", "").strip()
    if base_url and token:
        return PlannrTarget(simulated=False, base_url=base_url.rstrip("/"), token=token)
    if base_url or token:
        missing = "PLANNR_API_TOKEN" if base_url else "PLANNR_BASE_URL"
        raise UsageError(
            f"To use real Plannr set both PLANNR_BASE_URL and PLANNR_API_TOKEN ({missing} is missing); "
            "unset both to use the simulator."
        )
    # The simulator and the monitor share a token generated once and kept in var/.
    return PlannrTarget(
        simulated=True,
        base_url=f"http://127.0.0.1:{simulator_port}",
        token=read_or_create_secret(token_file, lambda: "sim-" + token_urlsafe(24)),
    )


# --- Small helpers ------------------------------------------------------------------------


def token_urlsafe(nbytes):
    """secrets.token_urlsafe without importing `secrets` (hashlib: ~5 MB in this process)."""
    return base64.urlsafe_b64encode(os.urandom(nbytes)).rstrip(b"=").decode("ascii")


def read_or_create_secret(path, make):
    path = Path(path)
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def port_is_free(port, host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers themselves bind: a port whose last connections linger in
        # TIME_WAIT (just after Ctrl-C) is free, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(preferred, avoid=()):
    """`preferred` if it is free, else the next free one above it, else any free port."""
    for port in range(preferred, preferred + 100):
        if port not in avoid and port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_from_env(environ, name):
    """The port the user asked for in `name`, checked; None when unset."""
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be a port number, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise UsageError(f"{name} must be between 1 and 65535, got {port}")
    if not port_is_free(port):
        raise UsageError(f"{name}={port} is already in use; pick another or unset {name}.")
    return port


def read_procfile(path=PROCFILE):
    from dashboard.supervisor import read_procfile as parse

    return parse(path)


# --- The plan -------------------------------------------------------------------------------


class Plan(namedtuple("Plan", "var_dir web_port broker plannr demo_password env")):
    __slots__ = ()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.web_port}/"

    @property
    def log_path(self):
        return self.var_dir / "log" / "run.log"

    @property
    def processes(self):
        # Beat runs inside the worker (dashboard/embedded_celery.py).
        names = ["web", "worker"]
        if self.plannr.simulated:
            names.insert(0, "simulator")
        if self.broker.kind == "private-redis":
            names.insert(0, "redis")
        return names


def make_plan(environ, *, broker_force="auto"):
    var_dir = Path(environ.get("VAR_DIR") or BASE_DIR / "var").resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / "mail").mkdir(exist_ok=True)

    web_port = port_from_env(environ, "PORT") or pick_port(DEFAULT_WEB_PORT)
    sim_port = port_from_env(environ, "SIMULATOR_PORT") or pick_port(DEFAULT_SIMULATOR_PORT, avoid={web_port})
    plannr = choose_plannr(environ, simulator_port=sim_port, token_file=var_dir / "simulator-token")
    broker = choose_broker(
        environ.get("REDIS_URL"),
        free_port=lambda: pick_port(6380, avoid={web_port, sim_port}),
        force=broker_force,
    )
    stream = environ.get("SIMULATOR_NEW_PER_MINUTE", "").strip() or str(DEMO_NEW_PER_MINUTE)
    if not stream.isascii() or not stream.isdigit():
        raise UsageError(f"SIMULATOR_NEW_PER_MINUTE must be a whole number, got {stream!r}")
    demo_password = environ.get("DEMO_PASSWORD", "").strip() or read_or_create_secret(
        var_dir / "demo-password", lambda: token_urlsafe(12)
    )

    env = dict(environ)
    # What the user set wins (POLL_INTERVAL_SECONDS, LOG_LEVEL...); these are the defaults.
    defaults = {
        # As a firm will keep it running: real error pages, no URL listing. DEBUG=1 for development.
        "DEBUG": "false",
        "SECRET_KEY": read_or_create_secret(var_dir / "secret-key", lambda: token_urlsafe(50)),
        "STATIC_MANIFEST": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
        # Quicker than production's 15 s so the demo visibly moves.
        "POLL_INTERVAL_SECONDS": "5",
        # New executions show up within seconds of the simulator's stream creating them.
        "DISCOVERY_INTERVAL_SECONDS": "10",
        # glibc gives each thread of the threaded web and Celery processes its own malloc
        # arena, whose freed memory it keeps; two arenas per process (issue 20, point 23).
        "MALLOC_ARENA_MAX": "2",
    }
    if plannr.simulated:
        defaults["SIMULATOR_NEW_PER_MINUTE"] = stream
        # The product's 20 an hour would be spent on the stream within minutes of the start.
        defaults["ALERT_EMAILS_PER_HOUR"] = str(demo_alert_cap(int(stream)))
    for key, value in defaults.items():
        env.setdefault(key, value)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "VAR_DIR": str(var_dir),
            # Always SQLite here, even if the shell exports a DATABASE_URL for something else.
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "SITE_URL": f"http://127.0.0.1:{web_port}",
            "PORT": str(web_port),
            "SIMULATOR_PORT": str(sim_port),
            "SIMULATOR_SEED": str(SIMULATOR_SEED),
            "SIMULATOR_EXECUTIONS": str(SIMULATOR_EXECUTIONS),
            "REDIS_URL": broker.redis_url,
            "CELERY_BROKER_URL": broker.broker_url,
            "PRIVATE_REDIS_PORT": str(broker.private_port or ""),
            "PLANNR_BASE_URL": plannr.base_url,
            "PLANNR_API_TOKEN": plannr.token,
            "WORKER_ARGS": worker_args(broker),
            "PYTHONUNBUFFERED": "1",
            # The supervisor reads each line's level to keep routine ones off the terminal.
            "LOG_FORMAT": "json",
            # Noise on a newcomer's terminal: Celery's warning when run as root (containers,
            # some VMs), and whitenoise's about static/ not being collected (it serves static/).
            "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges,ignore:No directory at",
            # The venv's python, gunicorn and celery come first for the Procfile's commands.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), environ.get("PATH", "")]),
        }
    )
    return Plan(
        var_dir=var_dir, web_port=web_port, broker=broker, plannr=plannr, demo_password=demo_password, env=env
    )


def worker_args(broker):
    # One process in every mode (the Procfile asks for a thread pool): the rate
    # limiter without Redis counts per process, and a process costs ~80 MB.
    if broker.kind == "filesystem":
        # The filesystem transport has no broadcast (so no heartbeat or remote control).
        return "--without-heartbeat"
    return ""


# --- Running it ------------------------------------------------------------------------------


def run_manage(plan, *args, capture=False, extra_env=None):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**plan.env, **(extra_env or {})},
        check=False,
        text=True,
        capture_output=capture,
    )


def wait_http(url, *, timeout, headers=None, stop=None):
    """Wait until `url` (plain http, on this machine) answers 200; True, or False on timeout or stop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stop is not None and stop.is_set():
            return False
        if http_status(url, headers or {}) == 200:
            return True
        time.sleep(0.25)
    return False


def http_status(url, headers, timeout=2.0):
    """The status of a GET to a local plain-http `url`, or None.

    Over a bare socket: urllib (through http.client and ssl) would cost this
    supervisor ~10 MB for the whole run (issue 20, point 23).
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    lines = [f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.0", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status_line = sock.makefile("rb").readline(200).split()
        return int(status_line[1])
    except (OSError, ValueError, IndexError):
        return None


def announce(plan, say, stop, relay=None):
    """Once the processes answer: demo user, demo watches, then the URL."""
    if plan.plannr.simulated:
        # The token's logins need no account header: the first thing a real user asks too.
        logins = f"{plan.plannr.base_url}/api/v1/logins"
        auth = {"Authorization": f"Bearer {plan.plannr.token}", "Accept": "application/json"}
        if not wait_http(logins, headers=auth, timeout=90, stop=stop):
            if not stop.is_set():
                say("The simulator did not answer within 90 s: see its lines above.")
            return
    if not wait_http(f"{plan.url}healthz", timeout=90, stop=stop):
        if not stop.is_set():
            say(
                f"The web server did not become healthy within 90 s ({plan.url}healthz): see its lines above."
            )
        return
    setup = run_manage(
        plan,
        "demo_setup",
        f"--username={DEMO_USERNAME}",
        f"--count={DEMO_WATCH_COUNT}",
        "--wait=45",
        capture=True,
        extra_env={"DEMO_PASSWORD": plan.demo_password},
    )
    if stop.is_set():
        return
    for line in (setup.stdout + setup.stderr).splitlines():
        (relay or say)(line)
    if setup.returncode != 0:
        say("Demo setup failed (above); the dashboard still runs, with an empty watchlist.")
    say(banner(plan))


def banner(plan):
    source = (
        f"the Plannr simulator at {plan.plannr.base_url}"
        if plan.plannr.simulated
        else f"REAL Plannr at {plan.plannr.base_url}"
    )
    lines = [
        "",
        "=" * 72,
        f"  Dashboard:   {plan.url}",
        f"  Log in as:   {DEMO_USERNAME} / {plan.demo_password}",
        f"  Polling:     {source}",
        f"  Alert mail:  written to {plan.var_dir / 'mail'}/ (one file per batch of messages)",
        f"  Logs:        {plan.log_path} (this terminal shows only warnings and errors)",
        f"  {plan.broker.message}",
        "  Stop:        Ctrl-C stops every process.",
        *(
            [
                "  Try a break: revoke the demo token in the simulator, and one alert email arrives:",
                f"    curl -X POST -H \"Authorization: Bearer $(cat {plan.var_dir / 'simulator-token'})\" "
                f"{plan.plannr.base_url}/_simulator/tokens/revoke",
                "    (.../_simulator/tokens/restore, then Test on the Connections page, restores it)",
            ]
            if plan.plannr.simulated
            else []
        ),
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dashboard.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--broker",
        choices=["auto", "redis", "private", "filesystem"],
        default="auto",
        help="where Celery's messages go (default: Redis if it answers, else a private redis-server, "
        "else the filesystem transport)",
    )
    args = parser.parse_args(argv)

    try:
        plan = make_plan(os.environ, broker_force=args.broker)
    except UsageError as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 2

    print(plan.broker.message, flush=True)
    print(f"Database: SQLite at {plan.var_dir / 'db.sqlite3'}", flush=True)
    print("Migrating the database...", flush=True)
    migrated = run_manage(plan, "migrate", "--noinput", "-v", "0")
    if migrated.returncode != 0:
        print("make run: migrations failed (see above).", file=sys.stderr)
        return 1

    from dashboard.supervisor import Output, Supervisor

    procfile = read_procfile()
    output = Output(plan.log_path)
    supervisor = Supervisor(
        {name: procfile[name] for name in plan.processes},
        env=plan.env,
        cwd=str(BASE_DIR),
        output=output,
        # A worker that exits (say, after a broker outage) is started again.
        restart={"worker"},
    )
    stop = threading.Event()

    def on_started():
        threading.Thread(
            target=announce,
            args=(plan, output.say, stop, lambda line: output.child_line("setup", line)),
            daemon=True,
            name="announce",
        ).start()

    try:
        return supervisor.run(on_started)
    finally:
        stop.set()
        output.close()


if __name__ == "__main__":
    sys.exit(main())
