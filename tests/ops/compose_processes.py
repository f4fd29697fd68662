"""Start the docker-compose services' own commands as local processes.

No Docker engine runs here, so the integration tests take each service's
`command` from docker-compose.yml and run it against the local PostgreSQL,
Redis and the simulator, changing only what a container would provide: the
listen address and /app/var.
"""

import json
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import yaml
from django.db import connection

from tests.fixtures.services import missing_service
from tests.fixtures.workers import Proc, process_env

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def service_command(name, *, var_dir, bind=None):
    """The service's command, with /app/var and (for web) the bind address localised."""
    raw = COMPOSE["services"][name]["command"]
    argv = list(raw) if isinstance(raw, list) else shlex.split(raw)
    argv = [arg.replace("/app/var", str(var_dir)) for arg in argv]
    if bind is not None:
        argv[argv.index("--bind") + 1] = bind
    return argv


def healthcheck_command(name, *, var_dir, port=None):
    test = COMPOSE["services"][name]["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        # Compose turns $$ into $ before the container's shell sees it.
        return ["sh", "-c", test[1].replace("$$", "$")]
    argv = [arg.replace("/app/var", str(var_dir)) for arg in test[1:]]
    if port is not None and "--port" in argv:
        argv[argv.index("--port") + 1] = str(port)
    return argv


def run_healthcheck(argv, env, timeout=60):
    # Inside the image `python` and `celery` are on PATH; here they are the venv's.
    env = dict(env, PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def production_env(var_dir, **extra):
    """What a container gets from .env, pointed at the test's database, Redis and simulator."""
    env = process_env(
        {
            "DEBUG": "false",
            "STATIC_MANIFEST": "true",
            "LOG_FORMAT": "json",
            "VAR_DIR": str(var_dir),
            "HOSTNAME": socket.gethostname(),
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def start(name, argv, env):
    return Proc(argv, env, name)


def require_postgres():
    if connection.vendor != "postgresql":
        missing_service(
            "these tests run the production stack's commands on PostgreSQL: "
            "set DATABASE_URL=postgres://... (CI does)"
        )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def json_lines(text):
    """The lines of a log that are JSON objects (celery's banner is not)."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    return records
