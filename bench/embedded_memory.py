"""6. Embedded run memory: what `make run` holds idle, for the 1 GB machine a small firm gives it.

The real `python -m ops.run` starts in a fresh VAR_DIR holding only the
migrated database (broker: the bench's Redis), prints its banner once a dozen executions are polled, then
idles (polling every 5 s, beat dispatching every 2 s) for a while. Then every
process in its tree is measured from /proc: the number of processes, the sum of
their RSS (the issue's figure; shared pages count once per process) and of
their PSS (shared pages split between the processes that share them). The
Plannr simulator is not counted: a firm polls real Plannr.

Baseline: the production services' own commands from docker-compose.yml (web,
worker, beat; gunicorn with WEB_CONCURRENCY=3 as in .env.example, the worker
with Celery's default pool) started side by side on the same SQLite database
and Redis, idle for as long, measured the same way: what running the same
programs without the embedded run's sizing would cost here.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ops.supervisor import die_with_parent

from .harness import PY, ROOT, BenchError, log_dir, run_dir
from .table import row

SECTION = "6. embedded run memory"
TARGET_MB = 250


def env(quick):
    return {}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_by_parent():
    """{parent pid: [child pids]} of every process now, from /proc."""
    tree = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def measure_tree(root_pids, exclude=r"plannr_simulator"):
    """(processes, RSS bytes, PSS bytes) of the trees under `root_pids`, minus `exclude`d commands."""
    tree = children_by_parent()
    todo, seen = list(root_pids), []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(tree.get(pid, []))
    count = rss = pss = 0
    for pid in seen:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        if re.search(exclude, command):
            continue
        fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.M))
        count += 1
        rss += int(fields["Rss"]) * 1024
        pss += int(fields["Pss"]) * 1024
    return count, rss, pss


def _clean_env(var_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNR_", "DATABASE_URL", "BENCH_"))}
    env.update({"VAR_DIR": str(var_dir), "LOG_LEVEL": "INFO"})
    return env


def _embedded(var_dir, idle, say):
    env = _clean_env(var_dir)
    env.update({"PORT": str(_free_port()), "SIMULATOR_PORT": str(_free_port())})
    log = open(log_dir() / "embedded-run.log", "w")
    popen = subprocess.Popen(
        [PY, "-m", "ops.run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=die_with_parent(),
    )
    try:
        deadline = time.monotonic() + 180
        while "Dashboard:" not in (log_dir() / "embedded-run.log").read_text(errors="replace"):
            if popen.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"make run did not print its banner; see {log.name}")
            time.sleep(0.5)
        say(f"embedded run: up; idle for {idle} s")
        time.sleep(idle)  # the idle period is what is measured, not a wait for work
        return measure_tree([popen.pid])
    finally:
        os.killpg(popen.pid, signal.SIGINT)
        try:
            popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
        log.close()


def _production_commands(var_dir):
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    commands = {}
    for name in ("web", "worker", "beat"):
        raw = services[name]["command"]
        argv = list(raw) if isinstance(raw, list) else shlex.split(raw)
        argv = [a.replace("/app/var", str(var_dir)) for a in argv]
        if "--bind" in argv:
            argv[argv.index("--bind") + 1] = f"127.0.0.1:{_free_port()}"
        commands[name] = argv
    return commands


def _baseline(var_dir, idle, say):
    env = _clean_env(var_dir)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "WEB_CONCURRENCY": "3",
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        }
    )
    started = []
    try:
        for name, argv in _production_commands(var_dir).items():
            log = open(log_dir() / f"baseline-{name}.log", "w")
            started.append(
                (subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, preexec_fn=die_with_parent()), log)
            )
        # Up means every process has finished importing: the count stops growing for 5 s.
        deadline, last, stable_since = time.monotonic() + 120, None, time.monotonic()
        while time.monotonic() - stable_since < 5 and time.monotonic() < deadline:
            figures = measure_tree([p.pid for p, _ in started])
            if figures[0] != last:
                last, stable_since = figures[0], time.monotonic()
            time.sleep(0.5)
        if any(p.poll() is not None for p, _ in started):
            raise BenchError("a baseline process exited; see baseline-*.log")
        say(f"baseline: up; idle for {idle} s")
        time.sleep(idle)
        return measure_tree([p.pid for p, _ in started])
    finally:
        for popen, log in started:
            if popen.poll() is None:
                os.killpg(popen.pid, signal.SIGTERM)
        for popen, log in started:
            try:
                popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(popen.pid, signal.SIGKILL)
            log.close()


def run(*, engine, quick, say):
    idle = 5 if quick else 30
    var_dir = run_dir() / "embedded"
    # Migrated already (the run's template), as on any start but the first: migrating
    # costs time, not idle memory.
    var_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir() / "template.sqlite3", var_dir / "db.sqlite3")
    count, rss, pss = _embedded(var_dir, idle, say)
    mb = 1 << 20
    note = "simulator not counted; baseline: docker-compose.yml's web, worker and beat commands"
    if quick:
        # Eight more processes to start: a quick run measures the embedded run only.
        b_count = b_rss = b_pss = None
        note = "simulator not counted; quick run: no baseline"
    else:
        # The same database, migrated by the embedded run; beat's schedule file apart.
        b_count, b_rss, b_pss = _baseline(var_dir, idle, say)
    return {
        "rows": [
            row(SECTION, "processes, idle", f"{count}", engine=engine, baseline=f"{b_count or ''}"),
            row(
                SECTION,
                "RSS, idle (sum)",
                f"{rss / mb:,.0f} MB",
                engine=engine,
                baseline=f"{b_rss / mb:,.0f} MB" if b_rss else "",
                ratio=rss / b_rss if b_rss else None,
                target=f"≤ {TARGET_MB} MB",
                ok=rss / mb <= TARGET_MB,
                note=note,
            ),
            row(SECTION, "PSS, idle (sum)", f"{pss / mb:,.0f} MB", engine=engine,
                baseline=f"{b_pss / mb:,.0f} MB" if b_pss else "", ratio=pss / b_pss if b_pss else None),
        ],
        "details": {"idle_s": idle},
    }
