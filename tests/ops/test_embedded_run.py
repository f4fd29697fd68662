"""`make run` end to end: the real command, its processes, the live dashboard, Ctrl-C.

Run four ways: with Redis answering, with no Redis but redis-server installed
(a private one), with no Redis at all (the filesystem transport), and pointed at
a "real" Plannr (a simulator it did not start, so it starts none). Each time
the demo user logs in and sees a dozen polled executions, and Ctrl-C leaves no
process behind.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid as uuid_lib
from pathlib import Path

import pytest
import requests

from tests.ops.compose_processes import free_port
from tests.ops.processes import ROOT
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


class EmbeddedRun:
    def __init__(self, env):
        self.lines = []
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "ops.run"],  # what `make run` runs
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self):
        return "\n".join(self.lines)

    def find(self, pattern):
        match = re.search(pattern, self.output)
        return match.group(1) if match else None

    def child_pids(self):
        return [int(p) for p in re.findall(r"started \(pid=(\d+)\)", self.output)]

    def ctrl_c(self):
        os.killpg(self.popen.pid, signal.SIGINT)

    def kill(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        for pid in self.child_pids():
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _env(tmp_path, redis_url, path):
    env = {k: os.environ[k] for k in ("HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(
        {
            "PATH": path,
            "VAR_DIR": str(tmp_path / "var"),
            "PORT": str(free_port()),
            "SIMULATOR_PORT": str(free_port()),
            "REDIS_URL": redis_url,
        }
    )
    return env


def _closed_redis_url():
    return f"redis://127.0.0.1:{free_port()}/0"


VENV_BIN = str(Path(sys.executable).parent)


@pytest.mark.parametrize("mode", ["redis", "private-redis", "no-redis", "real-plannr"])
def test_make_run_serves_a_live_dashboard_and_ctrl_c_stops_everything(mode, tmp_path, request):
    processes = {"web", "worker", "simulator"}  # beat is a thread of the worker
    plannr = None
    if mode in ("redis", "real-plannr"):
        env = _env(tmp_path, request.getfixturevalue("redis_url"), f"{VENV_BIN}:{os.environ['PATH']}")
        request.getfixturevalue("redis_client")  # an empty database
        expected_broker, expected_transport = "Broker: Redis at", "redis"
        if mode == "real-plannr":
            # A Plannr the run did not start stands in for the real one.
            plannr = request.getfixturevalue("simulator")
            for status in ["in_progress"] * 8 + ["completed"] * 4 + ["failed"] * 3:
                plannr.create_execution(status=status)
            env.update({"PLANNR_BASE_URL": plannr.url, "PLANNR_API_TOKEN": plannr.token})
            processes.discard("simulator")
    elif mode == "private-redis":
        if not any(Path(d, "redis-server").exists() for d in os.environ["PATH"].split(":")):
            from tests.fixtures.services import missing_service

            missing_service("redis-server is not installed")
        env = _env(tmp_path, _closed_redis_url(), f"{VENV_BIN}:{os.environ['PATH']}")
        expected_broker, expected_transport = "a private redis-server runs on port", "redis"
        processes.add("redis")
    else:
        # Nothing answers at REDIS_URL and no redis-server is on PATH.
        env = _env(tmp_path, _closed_redis_url(), VENV_BIN)
        expected_broker, expected_transport = "Broker: NO REDIS", "filesystem"

    run = EmbeddedRun(env)
    try:
        wait_for(
            lambda: "Dashboard:" in run.output or run.popen.poll() is not None,
            timeout=120,
            message="make run to print the dashboard's URL",
        )
        assert run.popen.poll() is None, run.output
        url = run.find(r"Dashboard:\s+(\S+)")
        login = run.find(r"Log in as:\s+(\S+ / \S+)")
        assert url == f"http://127.0.0.1:{env['PORT']}/"
        assert expected_broker in run.output
        assert "No hostname was supplied" not in run.output  # no warning noise for newcomers
        mail_dir = tmp_path / "var" / "mail"
        assert f"Alert mail:  written to {mail_dir}/" in run.output and mail_dir.is_dir()
        assert "All 12 have been polled: the dashboard is live." in run.output, run.output
        if plannr is None:
            assert (
                f"Polling:     the Plannr simulator at http://127.0.0.1:{env['SIMULATOR_PORT']}" in run.output
            )
        else:
            assert f"Polling:     REAL Plannr at {plannr.url}" in run.output
            assert plannr.stats.list_requests > 0
        started = set(re.findall(r"\| (\w+) started \(pid=", run.output))
        assert started == processes

        health = requests.get(url + "healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["checks"]["broker"]["transport"] == expected_transport

        # The demo user logs in through the real form and sees its executions.
        username, password = login.split(" / ")
        session = requests.Session()
        form = session.get(url + "accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        page = session.post(
            url + "accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": url + "accounts/login/"},
            timeout=10,
        )
        assert page.status_code == 200 and page.url == url + "overview/", page.url  # the landing page
        page = session.get(url, timeout=10)  # the watchlist

        # The terminal keeps the banner in view: routine lines (Celery's every 2 s, gunicorn's
        # access lines) go to the log file only, and there is no warning noise.
        log_file = tmp_path / "var" / "log" / "run.log"
        wait_for(lambda: log_file.read_text().count("dispatch_polls") >= 4, timeout=30, message="beat's dispatches")
        lines = list(run.lines)
        end = max(i for i, line in enumerate(lines) if line.endswith("=" * 72))
        after_banner = [line for line in lines[end + 1 :] if line.split("|", 1)[-1].strip()]
        assert after_banner == []
        kept = log_file.read_text()
        assert "INFO celery.app.trace: Task executions.tasks.dispatch_polls" in kept
        assert "INFO gunicorn.access:" in kept and "/accounts/login/" in kept
        assert "Dashboard:" in kept  # the banner too
        for noise in ("superuser", "No directory at", "celery.app.trace", "gunicorn.access"):
            assert noise not in run.output

        # DEBUG is off: a real 404 page, not Django's list of URL patterns; static files still served.
        missing = session.get(url + "no-such-page/", timeout=10)
        assert missing.status_code == 404 and "Page not found" in missing.text
        assert "URLconf" not in missing.text and "Technical" not in missing.text
        css = re.search(r'href="(/static/css/app[^"]*\.css)"', page.text).group(1)
        assert session.get(url.rstrip("/") + css, timeout=10).status_code == 200

        db = sqlite3.connect(tmp_path / "var" / "db.sqlite3")
        try:
            polled = [
                str(uuid_lib.UUID(row[0]))
                for row in db.execute(
                    "SELECT e.uuid FROM executions_execution e JOIN executions_watch w ON w.execution_id = e.id"
                    " WHERE e.last_polled_at IS NOT NULL AND e.status != ''"
                )
            ]
            journal = db.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            db.close()
        assert len(polled) == 12
        assert journal == "wal"
        assert sum(u in page.text for u in polled) == 12

        # The token stays in var/ and in the processes' environment, never in the output.
        token = plannr.token if plannr else (tmp_path / "var" / "simulator-token").read_text().strip()
        assert token not in run.output

        children = run.child_pids()
        assert len(children) == len(processes)
        run.ctrl_c()
        wait_for(lambda: run.popen.poll() is not None, timeout=30, message="make run to exit after Ctrl-C")
        wait_for(lambda: not [p for p in children if _alive(p)], timeout=15, message="every process to stop")
        for name in processes:
            assert re.search(rf"{name} stopped \(rc=", run.output), f"{name} did not stop cleanly"
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "healthz", timeout=2)
    finally:
        run.kill()


def test_half_configured_real_plannr_is_refused_with_a_clear_message(tmp_path):
    env = _env(tmp_path, _closed_redis_url(), VENV_BIN)
    env["PLANNR_API_TOKEN"] = "a-real-token"
    # The old name, `python -m dashboard.run`, is the same program (dashboard/run.py).
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "set both PLANNR_BASE_URL and PLANNR_API_TOKEN (PLANNR_BASE_URL is missing)" in done.stderr
    assert "a-real-token" not in done.stderr + done.stdout
