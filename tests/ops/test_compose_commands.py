"""The compose services' exact commands, run against local PostgreSQL, Redis and the simulator.

web: gunicorn serves /healthz and the login page with the collected static files.
worker + beat: poll an execution from the simulator into PostgreSQL.
Each service's healthcheck command is run too, and must pass.
"""

import re
import subprocess
import sys
import uuid as uuid_lib

import pytest
import requests
from django.utils import timezone

from executions.models import Execution, PollState, Watch
from tests.ops.compose_processes import (
    ROOT,
    free_port,
    healthcheck_command,
    json_lines,
    production_env,
    require_postgres,
    run_healthcheck,
    service_command,
    start,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(transactional_db, redis_client, simulator, settings, tmp_path):
    require_postgres()
    started = []

    class Stack:
        var_dir = tmp_path / "var"
        env = None

        def start(self, name, argv, env):
            proc = start(f"compose-{name}", argv, env)
            started.append(proc)
            return proc

    Stack.var_dir.mkdir()
    yield Stack()
    for proc in reversed(started):
        proc.stop()


def test_migrate_is_a_one_shot_that_exits_zero_and_its_check_passes(stack):
    env = production_env(stack.var_dir)
    argv = service_command("migrate", var_dir=stack.var_dir)
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check = run_healthcheck(healthcheck_command("migrate", var_dir=stack.var_dir), env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_web_serves_healthz_and_the_login_page_with_collected_static_files(stack):
    port = free_port()
    env = production_env(
        stack.var_dir,
        SITE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY="2",
    )
    # What the Dockerfile does at build time.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collected.returncode == 0, collected.stderr

    web = stack.start("web", service_command("web", var_dir=stack.var_dir, bind=f"127.0.0.1:{port}"), env)
    base = f"http://127.0.0.1:{port}"

    def healthz():
        try:
            return requests.get(f"{base}/healthz", timeout=5)
        except requests.ConnectionError:
            assert web.popen.poll() is None, f"gunicorn exited:\n{web.output()}"
            return None

    response = wait_for(healthz, timeout=60, message="gunicorn to answer /healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["checks"]["broker"] == {"ok": True, "transport": "redis"}

    # The compose healthcheck, as Docker would run it.
    probe = run_healthcheck(healthcheck_command("web", var_dir=stack.var_dir, port=port), env)
    assert probe.returncode == 0, probe.stderr

    login = requests.get(f"{base}/accounts/login/", timeout=10)
    assert login.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in login.text
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]
    # Hashed file names from the manifest, served by whitenoise with a long cache life.
    hashed = re.search(r'src="(/static/vendor/htmx\.min\.[0-9a-f]{12}\.js)"', login.text)
    assert hashed, "the page should reference the hashed htmx from the manifest"
    asset = requests.get(base + hashed.group(1), timeout=10, headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert "max-age=315360000" in asset.headers["Cache-Control"]
    assert "htmx" in asset.text[:2000]

    anonymous = requests.get(f"{base}/", timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.headers["Location"]

    web.stop()
    assert web.popen.returncode == 0, web.output()
    # gunicorn's own lines are JSON too, like the app's (dashboard/gunicorn_conf.py).
    lines = [line for line in web.output().splitlines() if line.strip()]
    records = json_lines(web.output())
    assert lines and len(records) == len(lines), web.output()
    assert any(r["logger"] == "gunicorn.error" and "Listening at" in r["message"] for r in records)


def test_worker_and_beat_poll_an_execution_from_the_simulator_into_postgresql(stack, simulator, owner):
    env = production_env(stack.var_dir, POLL_INTERVAL_SECONDS="1", POLL_DISPATCH_SECONDS="0.5")
    payload = simulator.create_execution(
        status="in_progress", steps=[{"name": "Send SMS", "status": "completed"}]
    )
    # Due now, and no poll_now task: only beat's dispatch can get it polled.
    execution = Execution.objects.create(uuid=uuid_lib.UUID(payload["uuid"]), next_poll_at=timezone.now())
    Watch.objects.create(user=owner, execution=execution)

    worker = stack.start("worker", service_command("worker", var_dir=stack.var_dir), env)
    beat = stack.start("beat", service_command("beat", var_dir=stack.var_dir), env)

    polled = wait_for(
        lambda: Execution.objects.filter(
            pk=execution.pk, poll_state=PollState.OK, status="in_progress"
        ).first(),
        timeout=60,
        message="beat and the worker to poll the execution",
    )
    assert polled.name == payload["name"]
    assert polled.steps.count() == 1

    simulator.drive(
        payload["uuid"], status="completed", add_steps=[{"name": "Send email", "status": "completed"}]
    )
    final = wait_for(
        lambda: Execution.objects.filter(pk=execution.pk, final_confirmed=True).first(),
        timeout=60,
        message="later polls to see the execution finish",
    )
    assert final.status == "completed" and final.steps.count() == 2

    # Both healthchecks pass while they run.
    worker_check = run_healthcheck(healthcheck_command("worker", var_dir=stack.var_dir), env)
    assert worker_check.returncode == 0, worker_check.stdout + worker_check.stderr
    beat_check = run_healthcheck(healthcheck_command("beat", var_dir=stack.var_dir), env)
    assert beat_check.returncode == 0, beat_check.stderr

    # Structured logs: poll cycles and batches as JSON, and never the token.
    worker.stop()
    beat.stop()
    logs = worker.output() + beat.output()
    assert env["PLANNR_API_TOKEN"] not in logs
    messages = [record.get("message", "") for record in json_lines(worker.output())]
    assert "poll cycle dispatched" in messages
    assert "poll batch done" in messages
    batch = next(r for r in json_lines(worker.output()) if r.get("message") == "poll batch done")
    assert batch["logger"] == "executions.polling"
