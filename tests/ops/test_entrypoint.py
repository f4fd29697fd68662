"""The image's entrypoint (ops/entrypoint.py), run as the image runs it: a process."""

import subprocess
import sys

import pytest

from tests.ops.processes import ROOT, clean_env

ENTRYPOINT = ROOT / "ops" / "entrypoint.py"
# What the web and worker services would run; a stand-in that proves the exec happened.
STARTED = [sys.executable, "-c", "print('command started')"]


def run_entrypoint(env, argv=STARTED):
    return subprocess.run(
        [sys.executable, str(ENTRYPOINT), *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["gunicorn", "dashboard.wsgi", "--bind", "0.0.0.0:8000"],
        ["celery", "-A", "dashboard", "worker", "--loglevel=INFO"],
    ],
    ids=["web", "worker"],
)
def test_web_and_worker_refuse_to_start_without_database_url(tmp_path, argv):
    done = run_entrypoint(clean_env(tmp_path / "var"), argv)
    assert done.returncode == 78
    assert f"Refusing to start {argv[0]}: DATABASE_URL is not set" in done.stderr
    # It says why, and both ways out.
    assert "lost when it is replaced" in done.stderr
    assert "ALLOW_SQLITE=true" in done.stderr
    assert not (tmp_path / "var").exists()


def test_starts_the_command_when_database_url_is_set(tmp_path):
    done = run_entrypoint(clean_env(tmp_path, DATABASE_URL="postgres://plannr:secret@postgres:5432/plannr"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "command started"


def test_allow_sqlite_true_starts_the_command_on_sqlite(tmp_path):
    done = run_entrypoint(clean_env(tmp_path, ALLOW_SQLITE="true"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "command started"


def test_a_malformed_allow_sqlite_is_named(tmp_path):
    done = run_entrypoint(clean_env(tmp_path, ALLOW_SQLITE="maybe"))
    assert done.returncode == 78
    assert "ALLOW_SQLITE must be true or false, got 'maybe'" in done.stderr
    assert "command started" not in done.stdout
