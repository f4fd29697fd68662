"""docker-compose.yml, checked without a Docker engine: parsed and cross-checked.

The commands themselves are run for real in test_compose_commands.py.
"""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.ops.processes import ROOT, read_env_file

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
WORKERS = ["worker", "worker-deliveries", "worker-background"]
APP_SERVICES = ["migrate", "web", *WORKERS, "beat", "simulator"]
LONG_RUNNING = ["postgres", "redis", "mailpit", "web", *WORKERS, "beat", "simulator"]


def command(name):
    value = SERVICES[name]["command"]
    return value if isinstance(value, list) else shlex.split(value)


def healthcheck_argv(name):
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test must be CMD or CMD-SHELL"
    return test[1:] if test[0] == "CMD" else shlex.split(test[1])


def test_the_stack_has_every_service():
    assert set(SERVICES) == {"postgres", "redis", "mailpit", "migrate", "web", *WORKERS, "beat", "simulator"}


def test_every_service_has_a_healthcheck():
    for name, service in SERVICES.items():
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"], name
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck needs {key}"


def test_dependencies_wait_for_health_and_migrations_run_once_before_web():
    conditions = {"service_healthy", "service_completed_successfully"}
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on must name conditions"
        for dependency, spec in depends.items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            assert spec["condition"] in conditions, f"{name} -> {dependency}: {spec}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency]
            else:
                assert SERVICES[dependency].get("restart") == "no", f"{dependency} must be a one-shot job"

    assert command("migrate")[:3] == ["python", "manage.py", "migrate"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", *WORKERS, "beat"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for name in ("web", *WORKERS):
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert SERVICES[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_no_dependency_cycles():
    def visit(name, seen):
        assert name not in seen, f"cycle through {name}"
        for dependency in SERVICES[name].get("depends_on", {}):
            visit(dependency, seen | {name})

    for name in SERVICES:
        visit(name, set())


def test_app_services_share_one_image_and_the_env_file():
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["build"] == "."
        assert service["image"] == SERVICES["web"]["image"]
        assert service["env_file"] == ".env"
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"


def test_web_is_gunicorn_and_its_healthcheck_calls_healthz():
    argv = command("web")
    assert argv[:2] == ["gunicorn", "dashboard.wsgi"]
    bind = argv[argv.index("--bind") + 1]
    port = bind.rsplit(":", 1)[1]
    assert bind.startswith("0.0.0.0:")
    check = healthcheck_argv("web")
    assert check[:4] == ["python", "-m", "dashboard.health", "web"]
    assert check[check.index("--port") + 1] == port
    assert any(p.endswith(f":{port}") for p in SERVICES["web"]["ports"])


def test_worker_and_beat_are_celery_of_this_app():
    for name in WORKERS:
        assert command(name)[:4] == ["celery", "-A", "dashboard", "worker"]
        # The worker's healthcheck pings exactly this container's node.
        check = SERVICES[name]["healthcheck"]["test"]
        assert check[0] == "CMD-SHELL"
        assert "celery -A dashboard inspect ping" in check[1]
        assert "celery@$$HOSTNAME" in check[1]  # $$: the container's variable, not compose's
    assert command("beat")[:4] == ["celery", "-A", "dashboard", "beat"]


def test_polling_has_a_worker_of_its_own_and_every_queue_a_worker():
    """Issue 20, point 31: a hung delivery cannot take the capacity polling needs."""
    from django.conf import settings

    def queues(name):
        return set(next(a.split("=", 1)[1] for a in command(name) if a.startswith("--queues=")).split(","))

    assert queues("worker") == {"polling"}
    consumed = [q for name in WORKERS for q in queues(name)]
    assert sorted(consumed) == sorted(settings.CELERY_TASK_QUEUES)  # each queue, by one group


def test_workers_and_beat_are_restarted_when_they_exit():
    """Issue 20, point 30: a worker that exits (e.g. after a broker outage) comes back."""
    for name in (*WORKERS, "beat", "web"):
        assert SERVICES[name]["restart"] in ("unless-stopped", "always"), name


def test_exactly_one_beat_and_its_healthcheck_watches_its_own_schedule_file():
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    schedule = next(a.split("=", 1)[1] for a in command("beat") if a.startswith("--schedule="))
    check = healthcheck_argv("beat")
    assert check[:4] == ["python", "-m", "dashboard.health", "beat"]
    assert check[check.index("--schedule") + 1] == schedule
    # The schedule lives in the image's VAR_DIR, the one folder the app user may write.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert schedule.startswith("/app/var/") and "VAR_DIR=/app/var" in dockerfile
    assert "chown 10001:10001 /app/var" in dockerfile  # the USER of the image


def test_health_probe_subcommands_exist():
    from dashboard import health

    for name in ("web", "beat"):
        argv = healthcheck_argv(name)[3:]
        with pytest.raises(SystemExit) as exit_info:
            health.main([*argv, "--help"])
        assert exit_info.value.code == 0


def test_backing_services():
    assert SERVICES["postgres"]["image"].startswith("postgres:")
    assert "postgres-data:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "postgres-data" in COMPOSE["volumes"]
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"][1]
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert SERVICES["mailpit"]["image"].startswith("axllent/mailpit:")
    assert SERVICES["mailpit"]["healthcheck"]["test"] == ["CMD", "/mailpit", "readyz"]
    # Mailpit's UI has no login: reachable from this host only.
    assert all(p.startswith("127.0.0.1:") for p in SERVICES["mailpit"]["ports"])
    # No image is left floating on "latest".
    for name in ("postgres", "redis", "mailpit"):
        assert ":" in SERVICES[name]["image"] and not SERVICES[name]["image"].endswith(":latest")


def test_the_simulator_only_runs_with_the_demo_profile():
    assert SERVICES["simulator"]["profiles"] == ["demo"]
    assert command("simulator")[:3] == ["python", "manage.py", "plannr_simulator"]
    for name, service in SERVICES.items():
        if name != "simulator":
            assert "profiles" not in service, f"{name} must run without a profile"
            assert "simulator" not in service.get("depends_on", {})


def test_email_for_the_stack_goes_to_mailpit():
    env = read_env_file(ROOT / ".env.example")
    assert env["EMAIL_HOST"] == "mailpit" and env["EMAIL_PORT"] == "1025"


def test_every_interpolated_variable_is_documented_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    documented = set(read_env_file(ROOT / ".env.example"))
    assert used, "expected ${VAR} interpolation"
    assert used - documented == set()


def test_env_file_is_what_configures_the_apps():
    # Only wiring in environment: (the two URLs built from .env); every setting is in .env.
    for name in APP_SERVICES:
        assert set(SERVICES[name]["environment"]) == {"DATABASE_URL", "REDIS_URL"}


def test_referenced_files_exist():
    assert (ROOT / "Dockerfile").is_file()
    assert (ROOT / ".env.example").is_file()
    assert Path(ROOT / "manage.py").is_file()
