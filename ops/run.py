"""The embedded run: `make run` brings the whole product up on one machine.

It migrates a SQLite database under var/, picks a broker, starts the Plannr
simulator (unless real Plannr is configured), the web server and a Celery
worker (with beat inside it) from the Procfile under a small supervisor
(ops/supervisor.py), creates the demo user, puts a dozen executions on
its watchlist and prints the URL. Routine log lines go to var/log/run.log; the
terminal shows warnings, errors and the banner. Ctrl-C stops everything.

This module deliberately does not import Django: it only prepares the
environment the processes get. It never reads `.env` either, because that file
holds the docker-compose stack's production values (PostgreSQL host names,
DEBUG off) that would break a local run.
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from collections import namedtuple
from pathlib import Path

from ops.choices import (
    BASE_DIR,
    DEFAULT_SIMULATOR_PORT,
    DEFAULT_WEB_PORT,
    DEMO_NEW_PER_MINUTE,
    DEMO_USERNAME,
    DEMO_WATCH_COUNT,
    PROCFILE,
    SIMULATOR_EXECUTIONS,
    SIMULATOR_SEED,
    UsageError,
    choose_broker,
    choose_plannr,
    demo_alert_cap,
    pick_port,
    port_from_env,
    read_or_create_secret,
    token_urlsafe,
)

def read_procfile(path=PROCFILE):
    from ops.supervisor import read_procfile as parse

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
        # Beat runs inside the worker (ops/embedded_celery.py).
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
    parser = argparse.ArgumentParser(prog="python -m ops.run", description=__doc__.split("\n\n")[0])
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

    from ops.supervisor import Output, Supervisor

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
