"""Run Django in a fresh subprocess with exactly the environment a test gives it.

Settings are read once per process, so anything about start-up (a missing
SECRET_KEY, https cookies, check --deploy) has to be observed in a new one, and
without the test run's own environment leaking in.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def clean_env(var_dir, **values):
    env = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    env.update(
        {"VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONUNBUFFERED": "1"}
    )
    env.update({k: str(v) for k, v in values.items()})
    return env


def run_python(code, env, timeout=60):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_manage(args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_env_file(path):
    """KEY=value lines of an env file (as docker compose reads them): comments and blanks skipped."""
    values = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=value: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values
