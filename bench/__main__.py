"""`python -m bench [--quick] [--only NAME,...] [--write-docs]`: run the benchmarks, print the table.

The runner itself never sets Django up: it prepares one migrated template database
per engine, then runs each benchmark in a child process of its own
(`python -m bench --child NAME --engine ENGINE`), which copies the template, measures,
and hands its rows back as JSON. The table is printed, and written with the machine
it ran on to $VAR_DIR/bench/results.json (and results-quick.json for --quick).

A benchmark that fails or runs out of time gets a "benchmark did not finish" row and
the run goes on; the exit status is 0 all the same. Only a problem of the harness
itself (no Redis, no PostgreSQL, a template that does not migrate) exits non-zero.
"""

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from ops.supervisor import die_with_parent, exit_with_parent

from . import harness, table
from .harness import POSTGRESQL, SQLITE, BenchError

# name -> (engines in a full run, engines in a quick run). In the order they run.
BENCHMARKS = {
    "poll_cycle": ((POSTGRESQL, SQLITE), (POSTGRESQL,)),
    "shared_budget": ((POSTGRESQL,), (POSTGRESQL,)),
    "storage": ((POSTGRESQL, SQLITE), (POSTGRESQL,)),
    "pages": ((POSTGRESQL, SQLITE), (POSTGRESQL,)),
    "alert_latency": ((POSTGRESQL,), (POSTGRESQL,)),
    "embedded_memory": ((SQLITE,), (SQLITE,)),
    "discovery": ((POSTGRESQL,), (POSTGRESQL,)),
    "monitor_pages": ((POSTGRESQL,), (POSTGRESQL,)),
    "expectations": ((POSTGRESQL, SQLITE), (SQLITE,)),
}
# Shown in this order in the table (the numbering).
TABLE_ORDER = [
    "poll_cycle", "pages", "alert_latency", "shared_budget", "storage", "discovery", "monitor_pages", "expectations",
    "embedded_memory",
]
# The full poll cycle reaches N = 50,000: about 15 minutes per engine on 2 shared cores.
# A quick run ends within two minutes on 2 cores; a machine shared with other work can
# make one of its benchmarks take three times as long, which is not a failure.
CHILD_TIMEOUT = {False: 1800, True: 300}
DOCS = harness.ROOT / "docs" / "benchmarks.md"
DOCS_START, DOCS_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"

# Children count from the runner's start, so that their lines read as one timeline.
_started = float(os.environ.get("BENCH_STARTED") or time.time())


def say(message):
    print(f"[bench {time.time() - _started:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- child: one benchmark in this process ----------------------------------------------------


def run_child(name, engine, quick, out):
    # SIGTERM (the runner giving up on us) unwinds like Ctrl-C: the finally blocks stop
    # the processes this benchmark started and drop its database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if name == "migrate":
        os.environ["DATABASE_URL"] = harness.template_url(engine)
        import django
        from django.core.management import call_command
        from django.db import connections

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        connections.close_all()
        return
    # Benchmark modules import Django code inside their functions: env() is read
    # before Django is set up, since it holds settings.
    module = importlib.import_module(f"bench.{name}")
    # A token of its own, so its rate budget in Redis is its own when others run alongside.
    os.environ["PLANNR_API_TOKEN"] = f"{os.environ['PLANNR_API_TOKEN']}-{name}-{engine}"
    cleanup = harness.bootstrap(engine, f"{name}_{engine}", module.env(quick))
    try:
        result = module.run(engine=engine, quick=quick, say=say)
    finally:
        cleanup()
    Path(out).write_text(json.dumps(result, indent=1, default=str))


# --- runner ------------------------------------------------------------------------------------


def base_env(run_id):
    """What every child (and every process a child starts) runs with."""
    return {
        "BENCH_RUN_ID": run_id,
        "BENCH_STARTED": str(_started),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "SECRET_KEY": "bench-" + secrets.token_hex(24),
        "DEBUG": "false",
        "STATIC_MANIFEST": "false",
        "SITE_URL": "http://testserver",
        "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "REDIS_URL": harness.redis_url(),
        "CELERY_BROKER_URL": harness.redis_url(),
        # A fresh token per run: its rate budget in Redis starts empty.
        "PLANNR_API_TOKEN": "bench-token-" + secrets.token_hex(12),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


# In a quick run these go alongside the others, to stay within two minutes, each started
# once the benchmark named here is done: they measure bytes and processes, not time, and
# they stay clear of the poll cycle (embedded_memory) and of the page latencies (storage).
BACKGROUND_WHEN_QUICK = {"embedded_memory": "poll_cycle", "storage": "monitor_pages"}
# These run Celery workers on the bench's one queue: two of them at once would take each
# other's tasks, so one waits for the other even in a quick run.
USE_THE_QUEUE = {"shared_budget", "alert_latency", "embedded_memory", "discovery"}


class Child:
    """One benchmark (or the template migration) in a process of its own."""

    def __init__(self, args, timeout):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.outcome = None
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bench", *args], cwd=harness.ROOT, preexec_fn=die_with_parent()
        )

    def wait(self):
        """The exit code, or why it was stopped; the same answer every time it is asked."""
        if self.outcome is None:
            try:
                self.outcome = self.popen.wait(timeout=max(1, self.deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stop()
                self.outcome = f"stopped after {self.timeout} s"
        return self.outcome

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def machine():
    mem_kb = 0
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    import psycopg
    import redis

    try:
        with psycopg.connect(harness.pg_server_url(), connect_timeout=5) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        pg = "?"
    try:
        rv = redis.Redis.from_url(harness.redis_url()).info("server")["redis_version"]
    except redis.RedisError:
        rv = "?"
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg,
        "sqlite": sqlite3.sqlite_version,
        "redis": rv,
    }


def write_docs(payload):
    content = DOCS.read_text()
    if DOCS_START not in content or DOCS_END not in content:
        raise BenchError(f"{DOCS} has no {DOCS_START} ... {DOCS_END} markers to write between")
    m = payload["machine"]
    block = "\n".join(
        [
            DOCS_START,
            f"Run on {payload['finished_at']} with `{payload['command']}` ({payload['elapsed_s']:.0f} s).",
            "",
            f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory, {m['os']}; "
            f"Python {m['python']}, PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}, Redis {m['redis']}. "
            "Shared with other jobs while it ran: absolute times are indicative, ratios are the result.",
            "",
            table.render_markdown(payload["rows"]),
            DOCS_END,
        ]
    )
    before, rest = content.split(DOCS_START, 1)
    _, after = rest.split(DOCS_END, 1)
    DOCS.write_text(before + block + after)


def _command():
    """This run's command line as one could type it again, with the bench's own variables."""
    python = sys.executable
    if python.startswith(str(harness.ROOT)):
        python = os.path.relpath(python, harness.ROOT)
    env = [
        f"{name}={shlex.quote(harness._redacted(os.environ[name]))}"
        for name in ("BENCH_DATABASE_URL", "BENCH_REDIS_URL", "VAR_DIR")
        if os.environ.get(name)
    ]
    return " ".join([*env, python, "-m", "bench", *(shlex.quote(a) for a in sys.argv[1:])])


def run_all(options):
    run_id = dt.datetime.now().strftime("%Y%m%d_%H%M%S")
    os.environ.update(base_env(run_id))
    harness.check_redis()
    quick = options.quick
    only = [n.strip() for n in options.only.split(",")] if options.only else list(BENCHMARKS)
    unknown = [n for n in only if n not in BENCHMARKS]
    if unknown:
        raise BenchError(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if options.engine:
        # Any benchmark that can run on this engine does, quick or not.
        plan = [
            (n, options.engine) for n in BENCHMARKS if n in only and options.engine in BENCHMARKS[n][False]
        ]
    else:
        plan = [(name, engine) for name in BENCHMARKS if name in only for engine in BENCHMARKS[name][quick]]
    if not plan:
        raise BenchError(f"nothing to run: {', '.join(only)} do not run on {options.engine}")
    engines = sorted({e for _, e in plan})
    say(
        f"run {run_id}: {len(plan)} benchmark run(s){' (quick)' if quick else ''}; "
        f"logs in {harness.run_dir()}"
    )

    rows, details, failed, children = {}, {}, [], []
    try:
        migrations = []
        for engine in engines:
            harness.create_template(engine)
            say(f"migrating the {engine} template database")
            migrations.append((engine, Child(["--child", "migrate", "--engine", engine], 300)))
        for engine, child in migrations:
            if child.wait() != 0:
                raise BenchError(f"migrating the {engine} template failed")
        background = [(n, e) for n, e in plan if quick and n in BACKGROUND_WHEN_QUICK]
        order = [item for item in plan if item not in background]
        if quick:
            # What needs no queue goes first, while a background benchmark may hold it.
            order.sort(key=lambda item: item[0] in USE_THE_QUEUE)
            for item in background:
                after = BACKGROUND_WHEN_QUICK[item[0]]
                order.insert(next((i + 1 for i, (n, _) in enumerate(order) if n == after), 0), item)
        for name, engine in order:
            if name in USE_THE_QUEUE:
                for other, _, _, running in children:
                    if other in USE_THE_QUEUE:
                        running.wait()
            say(f"{name} on {engine}" + (" (alongside the others)" if (name, engine) in background else ""))
            out = harness.run_dir() / f"{name}-{engine}.json"
            child = Child(
                ["--child", name, "--engine", engine, "--out", str(out), *(["--quick"] if quick else [])],
                CHILD_TIMEOUT[quick],
            )
            children.append((name, engine, out, child))
            if (name, engine) not in background:
                child.wait()
        for name, engine, out, child in children:
            code = child.wait()
            if code != 0 or not out.exists():
                failed.append(f"{name}/{engine}")
                rows.setdefault(name, []).append(
                    table.row(
                        name,
                        "benchmark did not finish",
                        f"exit {code}" if isinstance(code, int) else code,
                        engine=engine,
                        ok=False,
                        note=f"see the output above and {harness.log_dir()}",
                    )
                )
                continue
            result = json.loads(out.read_text())
            rows.setdefault(name, []).extend(result["rows"])
            details[f"{name}/{engine}"] = result.get("details", {})
    finally:
        for *_, child in children:
            child.stop()
        for engine in engines:
            harness.drop_template(engine)
        (harness.run_dir() / "template.sqlite3").unlink(missing_ok=True)

    ordered = [r for name in TABLE_ORDER for r in rows.get(name, [])]
    text = table.render_text(ordered)
    command = _command()
    payload = {
        "run_id": run_id,
        "quick": quick,
        "command": command,
        "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "elapsed_s": round(time.time() - _started, 1),
        "machine": machine(),
        "rows": ordered,
        "details": details,
    }
    out_dir = harness.bench_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "results-quick" if quick else "results"
    (out_dir / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=str))
    (out_dir / f"{stem}.md").write_text(table.render_markdown(ordered) + "\n")
    print()
    print(text)
    print()
    m = payload["machine"]
    print(
        f"{m['cores']} cores, {m['memory_gb']} GB; {payload['elapsed_s']:.0f} s; "
        f"results in {out_dir / (stem + '.json')}"
    )
    if failed:
        print(f"did not finish: {', '.join(failed)} (see their rows; logs in {harness.log_dir()})")
    if options.write_docs:
        write_docs(payload)
        print(f"table written to {DOCS}")
    # A benchmark that did not finish is a result (its row says so), not a harness error.
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller N and shorter windows (under two minutes)"
    )
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--engine", choices=[POSTGRESQL, SQLITE], help="run only on this database")
    parser.add_argument("--write-docs", action="store_true", help=f"record the table in {DOCS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    # SIGTERM (make, CI or a person giving up on the run) unwinds like Ctrl-C: the
    # finally blocks stop the children, which stop the workers they started. Had
    # the runner died at once, its children and their Celery workers would run on
    # and take the next run's tasks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # make passes SIGTERM on to us; if whatever started us dies without doing so (make
    # killed with SIGKILL, a shell in between), the parent-death signal does it.
    exit_with_parent()
    try:
        if options.child:
            run_child(options.child, options.engine, options.quick, options.out)
            return 0
        return run_all(options)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
