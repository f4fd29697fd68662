"""Kept so that existing imports keep working: the builders live in tests/builders.py.

`add_step` keeps this module's old defaults (a failed step with Plannr's error
info); new tests use tests.builders.failed_step or tests.builders.add_step.
"""

from tests import builders
from tests.builders import (  # noqa: F401
    ERROR_MESSAGE,
    INFO_ERROR,
    ingest_signal,
    make_execution,
    recorded_delivery,
    watch,
)


def add_step(
    execution, name="Send SMS", status="failed", info=INFO_ERROR, messages=(ERROR_MESSAGE,), hidden=False
):
    return builders.add_step(execution, name, status, info=info, messages=messages, hidden=hidden)
