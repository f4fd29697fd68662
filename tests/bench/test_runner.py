"""The bench runner's outcome (bench/__main__.py), with real processes.

A benchmark that fails is a result: its row says "benchmark did not finish" and the
run exits 0. Only a problem of the harness itself exits non-zero.
"""

import json
import subprocess
import sys

import pytest

from tests.ops.processes import ROOT, clean_env

pytestmark = pytest.mark.slow

# The runner with one benchmark whose child process fails: there is no bench/broken.py.
RUN_WITH_A_BROKEN_BENCHMARK = """
import sys
import bench.__main__ as runner
runner.BENCHMARKS = {"broken": ((runner.SQLITE,), (runner.SQLITE,))}
runner.TABLE_ORDER = ["broken"]
sys.exit(runner.main(["--quick"]))
"""


def bench_env(tmp_path, redis_url, **values):
    return clean_env(tmp_path / "var", BENCH_REDIS_URL=redis_url, **values)


def test_a_benchmark_that_fails_gets_a_did_not_finish_row_and_the_run_exits_0(tmp_path, redis_url):
    done = subprocess.run(
        [sys.executable, "-c", RUN_WITH_A_BROKEN_BENCHMARK],
        cwd=ROOT,
        env=bench_env(tmp_path, redis_url),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "No module named 'bench.broken'" in done.stderr  # the child really failed
    assert "benchmark did not finish" in done.stdout
    assert "did not finish: broken/sqlite" in done.stdout
    results = json.loads((tmp_path / "var" / "bench" / "results-quick.json").read_text())
    [row] = results["rows"]
    assert (row["figure"], row["value"], row["ok"]) == ("benchmark did not finish", "exit 1", False)


def test_a_harness_error_exits_non_zero_with_one_clear_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        env=bench_env(tmp_path, "redis://127.0.0.1:1/0"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("bench: Redis at BENCH_REDIS_URL")
