"""Grouping failures into incidents (incidents/grouping.py), fed by the real ingest signal."""

import importlib
import uuid as uuid_lib

import pytest
from django.apps import apps

from alerts.models import FailureEvent
from executions.models import Execution, FailureKind
from incidents import services
from incidents.models import Incident, Occurrence, Status
from tests.builders import failed_step, ingest_signal, make_execution

pytestmark = pytest.mark.django_db


def failing(step="Send SMS", message="the account_uuid field is required", blueprint="Welcome pack",
            status="in_progress", client="Gareth Thompson", account_uuid=None, **fields):
    execution = make_execution(name=blueprint, client=client, status=status, **fields)
    if account_uuid:
        Execution.objects.filter(pk=execution.pk).update(account_uuid=account_uuid)
    if step:
        failed_step(execution, name=step, info=f'"[{{errors : "{message}" }}]"', messages=(message,))
    ingest_signal(execution)
    return execution


def test_failures_differing_only_in_embedded_values_make_one_incident():
    failing(message=f"Client {uuid_lib.uuid4()} (jo@example.com) has no adviser since 2026-01-02")
    failing(message=f"Client {uuid_lib.uuid4()} (al@example.org) has no adviser since 2025-11-30", client="Ann")
    incident = Incident.objects.get()
    assert incident.occurrences == 2 and incident.clients == 2
    assert incident.family == FailureKind.FAILED and incident.step_name == "Send SMS"
    assert incident.title.startswith("Send SMS: Client ")
    assert incident.message == "client <uuid> (<email>) has no adviser since <date>"


def test_a_different_step_message_or_blueprint_makes_a_different_incident():
    failing()
    failing(step="Send email")
    failing(message="the phone field is required")
    failing(blueprint="Annual review")
    assert Incident.objects.count() == 4


def test_an_execution_failed_by_its_step_belongs_to_the_steps_incident():
    execution = failing(status="failed")
    incident = Incident.objects.get()
    assert incident.step_name == "Send SMS"
    assert Occurrence.objects.get().execution == execution
    # Polled again (every failure is re-sent): still one occurrence.
    ingest_signal(execution)
    assert Occurrence.objects.count() == 1 and Incident.objects.get().occurrences == 1


def test_an_execution_failure_without_a_failed_step_is_an_execution_level_incident():
    failing(step=None, status="failed")
    incident = Incident.objects.get()
    assert incident.is_execution_level and incident.title == "Execution failed: status failed"


def test_distinct_clients_are_counted_by_account():
    account = uuid_lib.uuid4()
    failing(account_uuid=account)
    failing(account_uuid=account)
    failing(client="Someone else")
    incident = Incident.objects.get()
    assert (incident.occurrences, incident.clients) == (3, 2)


def test_a_resolved_incident_that_occurs_again_reopens_as_a_regression():
    failing()
    incident = services.resolve(Incident.objects.get(), by=None)
    assert incident.status == Status.RESOLVED and not incident.regression
    failing(client="Another")
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and incident.regression and incident.occurrences == 2
    change = incident.history.first()
    assert (change.from_status, change.to_status, change.by) == ("resolved", "open", None)


def test_a_snooze_for_n_occurrences_ends_at_the_nth():
    failing()
    incident = services.snooze(Incident.objects.get(), by=None, occurrences=2)
    failing(client="b")
    incident.refresh_from_db()
    assert incident.status == Status.SNOOZED
    failing(client="c")
    incident.refresh_from_db()
    assert incident.status == Status.OPEN
    assert list(incident.history.values_list("to_status", flat=True)) == ["open", "snoozed"]


def test_the_data_migration_groups_existing_failure_events():

    for n in range(3):
        execution = make_execution(client=f"Client {n}")
        for kind, step in (("failed", "Send SMS"), ("failed", "")):
            FailureEvent.objects.create(
                execution=execution, kind=kind, step_uuid=str(uuid_lib.uuid4()) if step else "",
                step_name=step or "Send SMS", status="failed", messages=[f"Client {n * 1000} not found"],
                raw_info="", blueprint_name=execution.name, client_name=f"Client {n}",
            )
    lone = make_execution()
    FailureEvent.objects.create(execution=lone, kind="failed", status="failed",
                                blueprint_name=lone.name)
    migration = importlib.import_module("incidents.migrations.0002_group_failure_events")
    migration.group_events(apps, None)
    by_step = dict(Incident.objects.values_list("step_name", "occurrences"))
    assert by_step == {"Send SMS": 3, "": 1}
    assert Incident.objects.get(step_name="Send SMS").clients == 3


def test_a_timed_snooze_ends_by_itself():
    from datetime import timedelta

    from django.utils import timezone

    failing()
    now = timezone.now()
    incident = services.snooze(Incident.objects.get(), by=None, duration=timedelta(hours=1), now=now)
    assert services.wake_snoozed(now + timedelta(minutes=59)) == 0
    assert services.wake_snoozed(now + timedelta(minutes=61)) == 1
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and incident.history.first().note == "The snooze ended."


@pytest.mark.django_db(transaction=True)
def test_two_batches_adding_to_the_same_incidents_in_opposite_orders_do_not_deadlock(owner):
    """Each ingest transaction groups many executions; without one lock taken first, batch 1
    (cause A, then B) and batch 2 (B, then A) would each hold what the other wants."""
    import threading

    from django.db import connection, transaction

    failing(step="A")
    failing(step="B")  # both incidents exist: adding to them locks their rows
    batches = [[], []]
    for step in ("A", "B"):
        for batch in batches:
            execution = make_execution(name="Welcome pack")
            failed_step(execution, name=step, messages=("the account_uuid field is required",))
            batch.append(execution)
    batches[1].reverse()
    barrier = threading.Barrier(2)
    errors = []

    def run(batch):
        try:
            with transaction.atomic():
                ingest_signal(batch[0])
                try:
                    barrier.wait(timeout=3)  # both hold their first incident (when not serialised)
                except threading.BrokenBarrierError:
                    pass
                ingest_signal(batch[1])
        except Exception as exc:  # a deadlock surfaces here as an OperationalError
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(Incident.objects.values_list("occurrences", flat=True)) == [3, 3]
