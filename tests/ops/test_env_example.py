""".env.example documents every variable the code reads."""

import ast
import re

from tests.ops.processes import ROOT, read_env_file

TEXT = (ROOT / ".env.example").read_text()
ENV_HELPERS = {"env_str", "env_bool", "env_int", "env_float", "env_list"}


def variables_read_by(path):
    """Names passed to the env_* helpers or os.environ in a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            is_environ_get = (
                isinstance(func, ast.Attribute)
                and name in ("get", "setdefault")
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "environ"
            )
            if name in ENV_HELPERS or is_environ_get or name == "getenv":
                found.add(node.args[0].value)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
        ):
            if isinstance(node.slice, ast.Constant):
                found.add(node.slice.value)
    return {name for name in found if isinstance(name, str) and name.isupper()}


def documented(name):
    """As an active `NAME=` line, a commented `# NAME=` default, or named in a comment."""
    return re.search(rf"^\s*#?\s*{name}=", TEXT, re.M) or re.search(rf"\b{name}\b", TEXT)


def test_every_setting_is_documented():
    names = set()
    for path in (ROOT / "dashboard" / "settings").glob("*.py"):
        names |= variables_read_by(path)
    assert len(names) > 40  # the parser found them
    assert sorted(n for n in names if not re.search(rf"^\s*#?\s*{n}=", TEXT, re.M)) == []


def test_every_variable_read_anywhere_in_the_code_is_documented():
    ignored = {"DJANGO_SETTINGS_MODULE", "PATH", "HOME", "CI", "PYTHONUNBUFFERED", "HOSTNAME"}
    # Internal to the embedded run: ops/run.py hands them to the Procfile.
    internal = {"PRIVATE_REDIS_PORT", "WORKER_ARGS", "SIMULATOR_SEED", "SIMULATOR_EXECUTIONS"}
    names = set()
    for folder in ("dashboard", "ops", "plannr", "executions", "alerts", "simulator"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= variables_read_by(path)
    missing = sorted(n for n in names - ignored - internal if not documented(n))
    assert missing == []


def test_every_active_line_parses_and_comments_explain_them():
    values = read_env_file(ROOT / ".env.example")
    assert values["DEBUG"] == "false"
    assert values["SITE_URL"].startswith("https://")
    assert values["LOG_FORMAT"] == "json"
    # A newcomer is told what to change.
    assert TEXT.count("CHANGE") >= 5
