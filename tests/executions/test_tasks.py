"""The task module calls the domain, never the other way round (no polling <-> tasks cycle)."""

import ast

import pytest

from tests.fixtures.workers import ROOT


@pytest.mark.parametrize("module", ["polling", "ingest", "scheduling", "health"])
def test_polling_domain_modules_do_not_import_the_celery_tasks(module):
    tree = ast.parse((ROOT / "executions" / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):  # function-level imports count too
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported.update(f"{node.module or ''}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {name for name in imported if name.split(".")[-1] == "tasks"}
