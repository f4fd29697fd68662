"""Kept so that existing imports keep working: the builders live in tests/builders.py.

`add_step` keeps this module's old argument order (position before name) and its
old default of no failure kind; new tests use tests.builders.add_step.
"""

from executions.models import FailureKind
from tests import builders
from tests.builders import add_snapshot, make_execution, many_watches, watch  # noqa: F401


def add_step(
    execution, position, name, status="completed", info="", messages=(), failure_kind="",
    executed_at=None,
):
    return builders.add_step(
        execution, name, status, position=position, info=info, messages=messages,
        failure_kind=failure_kind, executed_at=executed_at,
    )
