"""What the embedded run (ops/run.py) decides before it starts anything: the broker,
real Plannr or the simulator, the ports, the secrets kept under var/.

Like ops/run.py it imports nothing of Django's or ours: it reads the environment only.
"""

import base64
import os
import shutil
import socket
import subprocess
import sys
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
