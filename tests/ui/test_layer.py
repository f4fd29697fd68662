"""ui/ is the layer between the domain (executions, connections, and accounts' access
decision) and the apps that declare tables (monitors, incidents, expectations): it imports
the domain, never those apps, so a Table declared in them never makes an import cycle.
Function-level imports count."""

import ast
from pathlib import Path

import ui

# accounts: the access decision (accounts/visibility.py) pages ask.
ALLOWED = {"ui", "accounts", "executions", "connections", "django", "django_htmx", "kombu"}


def imported_packages(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_ui_imports_only_the_domain_below_it():
    root = Path(ui.__file__).parent
    stray = {
        (str(path.relative_to(root.parent)), package)
        for path in root.rglob("*.py")
        for package in imported_packages(path)
        if package not in ALLOWED and not _stdlib(package)
    }
    assert stray == set()


def _stdlib(package):
    import sys

    return package in sys.stdlib_module_names


def test_executions_never_imports_the_pages():
    import executions

    root = Path(executions.__file__).parent
    pages = {
        str(path.relative_to(root.parent))
        for path in root.rglob("*.py")
        if "ui" in set(imported_packages(path))
    }
    assert pages == set()
