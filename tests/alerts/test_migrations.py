"""alerts 0007: failure events' kinds move to the one vocabulary, on a database filled by 0006."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alerts.models import FailureEvent
from executions.models import Execution

BEFORE = [("alerts", "0006_outbox_moved")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_old_event_kinds_become_failure_kinds_and_back():
    execution = Execution.objects.create(uuid=uuid.uuid4(), name="Welcome")
    executor = _migrate(BEFORE)
    try:
        OldEvent = executor.loader.project_state(BEFORE).apps.get_model("alerts", "FailureEvent")
        made = {
            kind: OldEvent.objects.create(execution_id=execution.pk, step_uuid=step_uuid, kind=kind).pk
            for kind, step_uuid in (("step_failed", "s1"), ("execution_failed", ""), ("hidden_failure", "s2"))
        }
    finally:
        _migrate(_latest())
    events = {e.pk: e for e in FailureEvent.objects.all()}
    assert {old: (events[pk].kind, events[pk].label) for old, pk in made.items()} == {
        "step_failed": ("failed", "Step failed"),
        "execution_failed": ("failed", "Execution failed"),
        "hidden_failure": ("hidden", "Hidden failure"),
    }

    executor = _migrate(BEFORE)
    try:
        OldEvent = executor.loader.project_state(BEFORE).apps.get_model("alerts", "FailureEvent")
        back = dict(OldEvent.objects.values_list("pk", "kind"))
        assert {old: back[pk] for old, pk in made.items()} == {old: old for old in made}
    finally:
        _migrate(_latest())
