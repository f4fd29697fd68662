"""Issue 20, point 21: no process outlives what started it.

Real processes throughout: the embedded run (`python -m dashboard.run`, what
`make run` runs) killed with SIGKILL, as a closed terminal or the OOM killer
would; and the benchmark runner (`python -m bench`, what `make bench` runs)
stopped with SIGTERM, as make passes it on, while its Celery workers are up.
"""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.embedded_memory import children_by_parent
from tests.ops.processes import ROOT
from tests.ops.test_embedded_run import VENV_BIN, EmbeddedRun, _alive, _env
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def descendants(root):
    """Every process under `root` now (children, grandchildren...)."""
    tree = children_by_parent()
    found, todo = [], list(tree.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def command_of(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_make_run_restarts_a_worker_that_exits_and_its_children_die_with_it(tmp_path, redis_url, redis_client):
    run = EmbeddedRun(_env(tmp_path, redis_url, f"{VENV_BIN}:{os.environ['PATH']}"))
    try:
        wait_for(lambda: "Dashboard:" in run.output or run.popen.poll() is not None, timeout=120,
                 message="make run to print the dashboard's URL")
        assert run.popen.poll() is None, run.output
        worker = int(re.search(r"worker started \(pid=(\d+)\)", run.output).group(1))

        # A worker that exits (as after the broker outage of point 30) is started again.
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: len(re.findall(r"worker started \(pid=(\d+)\)", run.output)) == 2, timeout=30,
                 message=f"the worker to be started again\n{run.output[-2000:]}")
        assert "worker exited: starting it again" in run.output
        assert run.popen.poll() is None  # the rest carried on
        log = tmp_path / "var" / "log" / "run.log"
        wait_for(lambda: log.read_text().count("ready.") >= 2, timeout=60, message="the new worker to be ready")

        children = descendants(run.popen.pid)
        assert any("embedded_worker" in command_of(p) for p in children)
        assert any("gunicorn" in command_of(p) for p in children)
        os.kill(run.popen.pid, signal.SIGKILL)  # the supervisor alone; no Ctrl-C to the group
        run.popen.wait(timeout=10)
        wait_for(lambda: not [p for p in children if _alive(p)], timeout=30,
                 message=f"every child to exit: {[command_of(p)[:60] for p in children if _alive(p)]}")
    finally:
        run.kill()


@pytest.mark.parametrize("stopped", ["runner", "make"])
def test_bench_stopped_with_sigterm_leaves_no_worker_running(stopped, tmp_path, redis_url):
    """`runner`: SIGTERM to `python -m bench` itself. `make`: to the make running it, as
    `make bench` is stopped (make passes it on). Before, the runner died at once and its
    benchmark process ran on with its workers."""
    env = dict(os.environ)
    env.update({"VAR_DIR": str(tmp_path / "var"), "BENCH_REDIS_URL": redis_url,
                "PATH": f"{VENV_BIN}:{os.environ['PATH']}"})
    command = [sys.executable, "-m", "bench", "--quick", "--only", "shared_budget"]
    if stopped == "make":
        makefile = tmp_path / "Makefile"
        makefile.write_text(f".PHONY: bench\nbench:\n\t{' '.join(command)}\n")
        command = ["make", "--no-print-directory", "-f", str(makefile), "bench"]
    runner = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def workers_up():
            found = descendants(runner.pid)
            return found if sum("celery" in command_of(p) and " worker" in command_of(p) for p in found) >= 2 else None

        started = wait_for(lambda: workers_up() or runner.poll() is not None, timeout=240,
                           message="the benchmark's Celery workers to start")
        assert runner.poll() is None, runner.stderr.read()
        everything = descendants(runner.pid)
        assert started
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=120)
        # Well before the benchmark would have ended by itself (about a minute).
        wait_for(lambda: not [p for p in everything if _alive(p)], timeout=25,
                 message=f"the benchmark's processes to exit: "
                         f"{[command_of(p)[:80] for p in everything if _alive(p)]}")
    finally:
        if runner.poll() is None:
            runner.kill()
        for pid in descendants(runner.pid):
            os.kill(pid, signal.SIGKILL)
