"""executions 0008: "pending" poll states become "not_polled", on a database filled by 0007."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from executions.models import Execution, PollState

BEFORE = [("executions", "0007_structure_failure_kinds")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_pending_poll_states_become_not_polled_and_plannr_statuses_stay():
    executor = _migrate(BEFORE)
    try:
        Old = executor.loader.project_state(BEFORE).apps.get_model("executions", "Execution")
        never = Old.objects.create(uuid=uuid.uuid4(), poll_state="pending", status="")
        # Plannr's own "pending" status is a status, not a poll state: it stays.
        polled = Old.objects.create(uuid=uuid.uuid4(), poll_state="ok", status="pending")
    finally:
        _migrate()
    assert Execution.objects.get(pk=never.pk).poll_state == PollState.NOT_POLLED == "not_polled"
    assert (Execution.objects.get(pk=polled.pk).poll_state, Execution.objects.get(pk=polled.pk).status) == (
        "ok", "pending",
    )
    assert Execution(uuid=uuid.uuid4()).poll_state == "not_polled"
