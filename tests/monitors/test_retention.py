"""Retention: exactly the old, finished, unwatched executions go; daily counts survive."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executions.models import Execution, Snapshot, Step
from monitors import retention
from monitors.models import Finding, Monitor, Scope
from tests.builders import add_snapshot, add_step, make_execution, watch

pytestmark = pytest.mark.django_db


def old(days, **fields):
    when = timezone.now() - timedelta(days=days)
    values = {"status": "completed", "is_finished": True, "remote_created_at": when, "remote_updated_at": when}
    values.update(fields)
    execution = make_execution(**values)
    add_step(execution, position=0, name="Send SMS")
    add_snapshot(execution, [{"kind": "status", "from": "", "to": values["status"]}])
    return execution


def test_prune_removes_exactly_the_finished_unwatched_executions_older_than_retention(owner, settings):
    settings.RETENTION_DAYS = 90
    monitor = Monitor.objects.create(name="All", scope=Scope.EVERYTHING, start_at=timezone.now())
    gone = [old(91), old(200, status="failed", is_failing=True), old(120)]
    Finding.objects.create(monitor=monitor, execution=gone[0], found_at=timezone.now())
    kept = [
        old(89),  # recent
        old(91, status="in_progress", is_finished=False),  # still running
        watch(owner, old(300)).execution,  # watched
        old(91, claimed_until=timezone.now() + timedelta(minutes=1)),  # a poll batch holds it
    ]

    assert retention.prune() == 3

    assert set(Execution.objects.values_list("pk", flat=True)) == {e.pk for e in kept}
    assert not Step.objects.filter(execution_id__in=[e.pk for e in gone]).exists()
    assert not Snapshot.objects.filter(execution_id__in=[e.pk for e in gone]).exists()
    assert not Finding.objects.exists() and Monitor.objects.exists()
    assert retention.prune() == 0


def test_prune_works_in_bounded_chunks(settings):
    settings.RETENTION_CHUNK_SIZE = 2
    for _ in range(5):
        old(100)
    with CaptureQueriesContext(connection) as first:
        assert retention.prune(max_chunks=1) == 2
    assert Execution.objects.count() == 3
    assert retention.prune() == 3
    # One chunk: a select, the counts, their upserts and the cascade, whatever the table's size.
    assert len(first) < 25


def test_per_blueprint_daily_counts_survive_the_pruning(owner):
    since = (timezone.now() - timedelta(days=400)).date()
    for days, name, failing in [(100, "Welcome", False), (100, "Welcome", True), (100, "Review", False),
                                (150, "Welcome", False), (10, "Welcome", True)]:
        old(days, name=name, is_failing=failing, status="failed" if failing else "completed")
    watch(owner, old(100, name="Welcome"))
    before = retention.daily_counts(since)

    assert retention.prune() == 4

    assert retention.daily_counts(since) == before
    day = timezone.localtime(timezone.now() - timedelta(days=100)).date()
    assert before[(day, "Welcome")] == {"executions": 3, "failing": 1}


def test_pruned_counts_stay_per_connection():
    """The same blueprint name in two connections keeps two daily counts (each connection's
    suggestions learn from their own)."""
    from monitors.models import BlueprintDay
    from tests.builders import make_connection

    other = make_connection("second")
    old(100, name="Annual review")
    old(100, name="Annual review", connection=other)
    old(100, name="Annual review", connection=other)
    retention.prune()
    counts = dict(BlueprintDay.objects.filter(blueprint_name="Annual review").values_list("connection__name", "executions"))
    assert counts == {"default": 1, "second": 2}


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_daily_counts_kept_before_connections_the_default():
    from django.db.migrations.executor import MigrationExecutor

    from connections.defaults import ensure_default
    from monitors.models import BlueprintDay

    before = [("monitors", "0002_monitor_connection_conn")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        day = executor.loader.project_state(before).apps.get_model("monitors", "BlueprintDay")
        day.objects.all().delete()
        made = day.objects.create(day=timezone.now().date(), blueprint_name="Welcome pack", executions=7)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    kept = BlueprintDay.objects.get(pk=made.pk)
    assert kept.connection == ensure_default() and kept.executions == 7
