"""The evaluation (expectations/evaluation.py, breaches.py) on stored rows: states, incidents, queries."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connections.defaults import ensure_default
from expectations import evaluation
from expectations.models import Expectation, State
from executions.models import FailureKind
from incidents.models import Incident, Status
from tests.builders import make_connection, make_execution
from tests.expectations.builders import BLUEPRINT, blueprint_monitor, deadline, new_uuid, volume

pytestmark = pytest.mark.django_db

# A Monday, 10:00 in London (GMT in December).
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=dt_timezone.utc)


def arrived(when, name=BLUEPRINT, **fields):
    return make_execution(name=name, remote_created_at=when, status="completed", is_finished=True, **fields)


def state_of(expectation):
    expectation.refresh_from_db()
    return expectation.state


def test_silence_for_a_whole_window_opens_a_missing_incident_and_arrivals_resolve_it():
    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        blueprint_monitor()
        arrived(MONDAY_10 - timedelta(hours=3))
        expectation = volume(at_least=5, within=60, hours="mon-fri 08:00-18:00")
    with time_machine.travel(MONDAY_10, tick=False):
        evaluation.evaluate()
    assert state_of(expectation) == State.BREACHED
    incident = Incident.objects.get()
    assert incident.family == FailureKind.MISSING
    assert incident.title == f"{BLUEPRINT}: 0 executions since 09:00, expected at least 5 per hour"
    with time_machine.travel(MONDAY_10 + timedelta(minutes=10), tick=False):
        for i in range(5):
            arrived(MONDAY_10 + timedelta(minutes=i))
        evaluation.evaluate()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.history.first().note.startswith("Executions arrived again: 5 executions since")
    assert state_of(expectation) == State.OK


def test_a_window_not_yet_whole_after_the_hours_open_is_no_breach_and_outside_hours_is_quiet():
    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        blueprint_monitor()
        expectation = volume(at_least=1, within=120, hours="mon-fri 09:00-18:00")
    with time_machine.travel(MONDAY_10 - timedelta(hours=2), tick=False):  # 08:00: closed
        evaluation.evaluate()
    assert state_of(expectation) == State.QUIET
    assert "outside business hours (mon-fri 09:00-18:00 Europe/London)" in expectation.reason
    with time_machine.travel(MONDAY_10, tick=False):  # one hour of a two-hour window
        evaluation.evaluate()
    assert state_of(expectation) == State.OK and "a full window ends at 11:00" in expectation.reason
    assert not Incident.objects.exists()


def test_a_maintenance_window_is_quiet_and_its_end_starts_a_fresh_window():
    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        monitor = blueprint_monitor(paused_until=MONDAY_10 + timedelta(minutes=30))
        arrived(MONDAY_10 - timedelta(hours=3))
        expectation = volume(at_least=1, within=60)
    with time_machine.travel(MONDAY_10, tick=False):
        evaluation.evaluate()
    assert state_of(expectation) == State.QUIET
    assert f"maintenance window: monitor “{monitor.name}” is paused until 2026-12-07 10:30" in expectation.reason
    with time_machine.travel(MONDAY_10 + timedelta(minutes=45), tick=False):
        evaluation.evaluate()
    assert state_of(expectation) == State.OK  # only 15 minutes watched since the window
    with time_machine.travel(MONDAY_10 + timedelta(minutes=91), tick=False):
        evaluation.evaluate()
    assert state_of(expectation) == State.BREACHED
    assert Incident.objects.get().family == FailureKind.MISSING


def test_no_monitor_covering_the_blueprint_is_not_watched_and_raises_nothing():
    blueprint_monitor(blueprint_uuid=new_uuid(), name="Another blueprint")
    blueprint_monitor(paused=True)
    expectation = volume(at_least=1, within=60)
    evaluation.evaluate()
    assert state_of(expectation) == State.NOT_WATCHED
    assert expectation.reason == "Not watched: every monitor that covers this blueprint is paused."
    assert not Incident.objects.exists()


def test_late_executions_are_the_occurrences_of_a_late_incident_that_resolves_when_none_is_late():
    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        blueprint_monitor()
        expectation = deadline(minutes=30)
    with time_machine.travel(MONDAY_10, tick=False):
        slow = make_execution(name=BLUEPRINT, remote_created_at=MONDAY_10 - timedelta(minutes=45))
        make_execution(name=BLUEPRINT, remote_created_at=MONDAY_10 - timedelta(minutes=5))
        evaluation.evaluate()
        evaluation.evaluate()  # a second check adds nothing
    incident = Incident.objects.get()
    assert incident.family == FailureKind.LATE and incident.occurrences == 1
    assert incident.occurrence_rows.get().execution == slow
    assert state_of(expectation) == State.BREACHED
    with time_machine.travel(MONDAY_10 + timedelta(minutes=2), tick=False):
        type(slow).objects.filter(pk=slow.pk).update(is_finished=True, status="completed")
        evaluation.evaluate()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.history.first().note == "No execution is late any more."
    assert incident.occurrence_rows.get().cleared_at is not None


def test_a_breach_with_no_stored_execution_opens_an_incident_without_one_and_a_hand_resolve_holds():
    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        blueprint_monitor()
        expectation = volume(at_least=1, within=60)
    with time_machine.travel(MONDAY_10, tick=False):
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.BREACHED and state_of(expectation) == State.BREACHED
    incident = Incident.objects.get()
    assert incident.family == FailureKind.MISSING and incident.blueprint_name == BLUEPRINT
    assert incident.title == f"{BLUEPRINT}: 0 executions since 09:00, expected at least 1 per hour"
    assert incident.occurrence_rows.get().execution_id is None
    # Resolved by hand while the blueprint is still silent: later checks leave it resolved.
    Incident.objects.filter(pk=incident.pk).update(status=Status.RESOLVED)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=1), tick=False):
        evaluation.evaluate()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED and incident.occurrences == 1
    # A sweep then stores an old execution (the blueprint did run once): a new episode, on it.
    old = arrived(MONDAY_10 - timedelta(hours=2))
    with time_machine.travel(MONDAY_10 + timedelta(minutes=2), tick=False):
        evaluation.evaluate()
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and incident.regression
    assert incident.occurrence_rows.first().execution_id == old.pk


def test_an_unaccepted_suggestion_is_never_checked():
    blueprint_monitor()
    suggestion = volume(at_least=3, within=60)
    Expectation.objects.filter(pk=suggestion.pk).update(suggested=True)
    assert evaluation.evaluate() == []
    assert state_of(suggestion) == State.PENDING


def test_only_the_expectations_own_connection_counts_its_monitors_and_executions():
    other = make_connection("second")
    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        # The same blueprint name and uuid in another account: its monitor covers nothing here.
        blueprint_monitor(connection=other)
        mine = blueprint_monitor()  # names the blueprint for `create`, then goes
        expectation = volume(at_least=1, within=60)
        late = deadline(minutes=30)
        mine.delete()
        assert expectation.connection.name == "default" and late.connection.name == "default"
    with time_machine.travel(MONDAY_10, tick=False):
        evaluation.evaluate()
    assert state_of(expectation) == State.NOT_WATCHED
    assert expectation.reason == "Not watched: no active monitor covers this blueprint."

    with time_machine.travel(MONDAY_10 - timedelta(hours=3), tick=False):
        blueprint_monitor()
        mine = arrived(MONDAY_10 - timedelta(hours=2))
    # The other account runs the blueprint and hangs one run: neither is this connection's.
    arrived(MONDAY_10 - timedelta(minutes=5), connection=other)
    make_execution(name=BLUEPRINT, remote_created_at=MONDAY_10 - timedelta(hours=1), connection=other)
    with time_machine.travel(MONDAY_10, tick=False):
        verdicts = {v.expectation.pk: v for v in evaluation.evaluate()}
    assert verdicts[expectation.pk].state == State.BREACHED
    assert verdicts[late.pk].state == State.OK
    incident = Incident.objects.get()
    assert incident.family == FailureKind.MISSING
    # The missing incident hangs on this connection's last execution, not the other's newer one.
    assert incident.occurrence_rows.get().execution == mine


def _population(n, now, connections):
    for i in range(n):
        name = f"Blueprint {i}"
        blueprint_uuid = new_uuid()
        connection = connections[i % len(connections)]
        blueprint_monitor(blueprint_uuid=blueprint_uuid, name=name, connection=connection)
        for j in range(3):
            arrived(now - timedelta(minutes=10 * j), name=name, connection=connection)
        make_execution(name=name, remote_created_at=now - timedelta(minutes=5), connection=connection)
        volume(at_least=1, within=60, blueprint_uuid=blueprint_uuid, connection=connection)
        deadline(minutes=60, blueprint_uuid=blueprint_uuid, connection=connection)


def test_the_evaluation_takes_the_same_number_of_queries_at_two_sizes():
    counts = []
    connections = (ensure_default(), make_connection("second"))
    for size in (2, 12):
        _population(size - len(counts) * 2, MONDAY_10, connections)  # the second round adds ten more
        with time_machine.travel(MONDAY_10, tick=False):
            evaluation.evaluate()  # first states written
            with CaptureQueriesContext(connection) as queries:
                verdicts = evaluation.evaluate()
        assert len(verdicts) == 2 * size and all(v.state == State.OK for v in verdicts)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_expectations_the_default_connection():
    from django.db.migrations.executor import MigrationExecutor

    before = [("expectations", "0001_initial_expect")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("expectations", "Expectation")
        made = old.objects.create(blueprint_uuid=new_uuid(), blueprint_name=BLUEPRINT, kind="deadline",
                                  finish_within_minutes=30)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Expectation.objects.select_related("connection").get(pk=made.pk).connection.name == "default"


def _bulk_population(start, end, now, connections):
    """Blueprints start..end-1, each with a volume and a deadline expectation; one in ten has a run
    past its deadline and, past the first 50, one in ten never ran (its volume is breached with no
    stored execution), as in the bench's quick run, whose second size added blueprints only."""
    from executions.models import Execution, PollState

    expectations, executions = [], []
    for i in range(start, end):
        name, connection = f"Blueprint {i}", connections[i % len(connections)]
        for rule in ({"kind": "volume", "at_least": 1, "within_minutes": 60},
                     {"kind": "deadline", "finish_within_minutes": 60}):
            expectations.append(Expectation(blueprint_uuid=new_uuid(), blueprint_name=name, connection=connection, **rule))
        if i % 10 == 0 and i >= 50:
            continue
        for minutes, late in ((5, False), (90, True))[: 2 if i % 10 == 1 else 1]:
            created = now - timedelta(minutes=minutes)
            executions.append(Execution(
                uuid=new_uuid(), name=name, connection=connection, status="in_progress" if late else "completed",
                is_finished=not late, remote_created_at=created, remote_updated_at=created,
                poll_state=PollState.OK, payload_hash=f"bulk-{i}-{minutes}", version=1,
            ))
    Expectation.objects.bulk_create(expectations)
    Execution.objects.bulk_create(executions)


def test_the_same_queries_at_100_and_1000_expectations_with_blueprints_that_never_ran():
    """`make bench QUICK=1` once counted 9 queries at 100 expectations and 10 at 1,000: the
    blueprints that never ran were breached with no incident, so every check looked for their
    last execution again. Now their incident opens once, and the steady state is the same."""
    from monitors.models import Monitor, Scope

    connections = (ensure_default(), make_connection("second"))
    for connection_ in connections:
        Monitor.objects.create(name="Everything", scope=Scope.EVERYTHING, connection=connection_,
                               start_at=MONDAY_10 - timedelta(days=1))
    counts, made = [], 0
    for blueprints in (50, 500):
        _bulk_population(made, blueprints, MONDAY_10, connections)
        made = blueprints
        with time_machine.travel(MONDAY_10, tick=False):
            evaluation.evaluate()  # opens the incidents of the new breaches
            with CaptureQueriesContext(connection) as queries:
                verdicts = evaluation.evaluate()
        never_ran = (blueprints - 50) // 10
        assert len(verdicts) == 2 * blueprints
        assert sum(v.breached for v in verdicts) == blueprints // 10 + never_ran
        assert Incident.objects.filter(family=FailureKind.MISSING).count() == never_ran
        assert Incident.objects.filter(family=FailureKind.LATE).count() == blueprints // 10
        counts.append(len(queries))
    # 9 on SQLite; PostgreSQL adds the grouping lock (incidents.grouping.serialise).
    assert counts[0] == counts[1] <= 10
