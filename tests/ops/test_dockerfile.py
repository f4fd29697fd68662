"""The Dockerfile's promises, read from the file (no Docker engine here)."""

import re

from tests.ops.processes import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def _stages():
    stages, current = [], None
    for line in INSTRUCTIONS:
        if line.upper().startswith("FROM "):
            current = {"from": line, "lines": []}
            stages.append(current)
        elif current is not None:
            current["lines"].append(line)
    return stages


def test_has_no_syntax_directive():
    # `# syntax=docker/dockerfile:1` makes BuildKit fetch a frontend image from Docker Hub
    # (unpinned) before it builds anything; the built-in parser handles RUN --mount.
    assert not re.search(r"^\s*#\s*syntax\s*=", DOCKERFILE, re.MULTILINE | re.IGNORECASE)


def test_multi_stage_on_a_python_311_slim_base_pinned_by_version_and_digest():
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        assert re.match(
            r"FROM python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}( AS \w+)?$", stage["from"]
        ), stage["from"]
    # One base for every stage, so the copied virtualenv finds its interpreter.
    assert len({stage["from"].split()[1] for stage in stages}) == 1
    runtime = " ".join(stages[-1]["lines"])
    assert "--from=builder" in runtime


def test_installs_only_the_hash_locked_requirements():
    installs = [line for line in INSTRUCTIONS if re.search(r"\bpip (install|wheel)\b", line)]
    assert installs, "no pip install"
    for line in installs:
        assert re.search(r"pip install --require-hashes -r \S*requirements\.lock\b", line), line
    # Whatever the image installs is in the lock with its hashes (tests/ops/test_locks.py).
    assert "requirements.lock" in " ".join(_stages()[0]["lines"])


def test_has_a_healthcheck_of_the_web_server():
    checks = [line for line in INSTRUCTIONS if line.upper().startswith("HEALTHCHECK ")]
    assert len(checks) == 1
    assert '"dashboard.health", "web"' in checks[0]


def test_entrypoint_refuses_to_start_without_a_database():
    entrypoints = [line for line in INSTRUCTIONS if line.upper().startswith("ENTRYPOINT ")]
    assert entrypoints == ['ENTRYPOINT ["python", "/app/ops/entrypoint.py"]']
    assert (ROOT / "ops" / "entrypoint.py").is_file()


def test_runs_as_a_non_root_user():
    users = [line.split(None, 1)[1] for line in INSTRUCTIONS if line.upper().startswith("USER ")]
    assert users, "no USER instruction"
    # Numeric user and group, so that Kubernetes' runAsNonRoot can check them.
    match = re.fullmatch(r"(\d+):(\d+)", users[-1])
    assert match, users[-1]
    assert int(match[1]) != 0 and int(match[2]) != 0
    # The user exists in the final stage, with no login shell.
    runtime = " ".join(_stages()[-1]["lines"])
    assert "useradd" in runtime and "nologin" in runtime
    # USER comes after every RUN that needs root.
    last_user = max(i for i, line in enumerate(INSTRUCTIONS) if line.upper().startswith("USER "))
    assert not [line for line in INSTRUCTIONS[last_user:] if line.upper().startswith("RUN ")]


def test_collects_hashed_static_files_at_build_time():
    runtime = _stages()[-1]["lines"]
    collect = [line for line in runtime if line.upper().startswith("RUN ") and "collectstatic" in line]
    assert collect, "collectstatic must run at build time"
    env = " ".join(line for line in runtime if line.upper().startswith("ENV "))
    assert "STATIC_MANIFEST=true" in env
    # The throwaway key only lives in that RUN's environment, never in an ENV layer.
    assert "SECRET_KEY" not in env


def test_default_command_is_the_web_server():
    cmd = [line for line in INSTRUCTIONS if line.upper().startswith("CMD ")]
    assert cmd and '"gunicorn"' in cmd[-1] and '"dashboard.wsgi"' in cmd[-1]


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".env", ".venv", "var", ".git", "staticfiles", "test-artifacts"):
        assert entry in ignored, entry
