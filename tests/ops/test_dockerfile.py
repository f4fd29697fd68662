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


def test_multi_stage_on_python_311_slim():
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        assert re.match(r"FROM python:3\.11-slim\b", stage["from"]), stage["from"]
    # The builder makes wheels; the runtime installs only those, offline.
    assert any("pip wheel" in line for line in stages[0]["lines"])
    runtime = " ".join(stages[-1]["lines"])
    assert "from=builder" in runtime
    assert "--no-index" in runtime


def test_runs_as_a_non_root_user():
    users = [line.split(None, 1)[1] for line in INSTRUCTIONS if line.upper().startswith("USER ")]
    assert users, "no USER instruction"
    final = users[-1].split(":")[0]
    assert final not in ("root", "0")
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
