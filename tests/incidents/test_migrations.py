"""incidents 0004: occurrences' kinds move to the one vocabulary, on a database filled by 0003."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from executions.models import Execution
from incidents.models import Occurrence

BEFORE = [("incidents", "0004_expect3_occurrence_without_execution")]
AFTER = [("incidents", "0005_structure_failure_kinds")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_old_kinds_become_failure_kinds_and_back():
    now = timezone.now()
    executions = Execution.objects.bulk_create([Execution(uuid=uuid.uuid4(), name="Welcome") for _ in range(6)])
    executor = _migrate(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        Incident = apps.get_model("incidents", "Incident")
        OldOccurrence = apps.get_model("incidents", "Occurrence")
        rows = [  # (old kind, step uuid, family)
            ("step_failed", "s1", "failed"),
            ("execution_failed", "", "failed"),
            ("hidden_failure", "s2", "hidden"),
            ("stalled", "s3", "stalled"),
            ("missing", "", "missing"),
            ("late", "", "late"),
        ]
        made = {}
        for n, ((kind, step_uuid, family), execution) in enumerate(zip(rows, executions)):
            incident = Incident.objects.create(
                fingerprint=f"fp-{n}", blueprint_name="Welcome", family=family, title="t",
                status_changed_at=now, opened_at=now, first_seen=now, last_seen=now,
            )
            made[kind] = OldOccurrence.objects.create(
                incident_id=incident.pk, execution_id=execution.pk, kind=kind, step_uuid=step_uuid, detected_at=now,
            ).pk
    finally:
        _migrate(_latest())
    kinds = dict(Occurrence.objects.values_list("pk", "kind"))
    assert {old: kinds[pk] for old, pk in made.items()} == {
        "step_failed": "failed",
        "execution_failed": "failed",
        "hidden_failure": "hidden",
        "stalled": "stalled",
        "missing": "missing",
        "late": "late",
    }
    # Every occurrence now says what its incident says.
    assert all(o.kind == o.incident.family for o in Occurrence.objects.select_related("incident"))

    # Going back restores the old words; the blank step tells a failed execution from a failed step.
    executor = _migrate(BEFORE)
    try:
        OldOccurrence = executor.loader.project_state(BEFORE).apps.get_model("incidents", "Occurrence")
        back = dict(OldOccurrence.objects.values_list("pk", "kind"))
        assert {old: back[pk] for old, pk in made.items()} == {old: old for old in made}
    finally:
        _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()
