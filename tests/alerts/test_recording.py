"""Recording (the outbox's first half): events, and incident alert deliveries, written with the ingest."""

import json

import pytest
from django.db import IntegrityError, transaction

from alerts.models import AlertPreference, FailureEvent
from channels.models import Delivery, DeliveryState
from alerts.history import COVERED_BY_STEP
from executions.models import FailureKind

from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db


def test_a_failed_step_gives_one_event_and_one_delivery_per_watcher_who_wants_alerts(
    owner, other_user, outsider, django_user_model
):
    execution = make_execution()
    failed_step(execution, name="Create task", status="completed", info="", messages=())
    failed_step(execution, name="Send SMS", status="FAILED")
    watch(owner, execution)
    watch(other_user, execution)
    watch(outsider, execution, muted=True)
    switched_off = django_user_model.objects.create_user("off", "off@example.com", "x")
    AlertPreference.objects.create(user=switched_off, enabled=False)
    watch(switched_off, execution)
    inactive = django_user_model.objects.create_user("gone", "gone@example.com", "x", is_active=False)
    watch(inactive, execution)
    bystander = make_execution()
    watch(outsider, bystander)

    ingest_signal(execution)

    event = FailureEvent.objects.get()
    assert (event.kind, event.step_name, event.status) == (FailureKind.FAILED, "Send SMS", "FAILED")
    assert event.messages == ["the account_uuid field is required"]
    assert event.blueprint_name == execution.name and event.client_name == "Gareth Thompson"
    deliveries = Delivery.objects.alert_emails().filter(alert__incident__step_name="Send SMS", alert__kind="opened")
    assert sorted(d.user.username for d in deliveries) == ["other", "owner"]
    assert {d.state for d in deliveries} == {DeliveryState.PENDING}


def test_the_signal_sent_again_with_the_same_failures_writes_nothing_new(owner):
    execution = make_execution()
    failed_step(execution, status="error")
    watch(owner, execution)
    ingest_signal(execution)
    ingest_signal(execution)
    failed_step(execution, name="Second step", status="completed", info="", messages=())  # no new failure
    ingest_signal(execution)
    assert FailureEvent.objects.count() == 1
    assert Delivery.objects.alert_emails().count() == 1


def test_a_new_failure_of_the_same_execution_gets_its_own_delivery(owner):
    execution = make_execution()
    failed_step(execution, status="failed")
    watch(owner, execution)
    ingest_signal(execution)
    failed_step(execution, name="Retry SMS", status="errored")
    ingest_signal(execution)
    assert FailureEvent.objects.count() == 2
    assert Delivery.objects.alert_emails().filter(user=owner).count() == 2


def test_a_completed_step_whose_info_reports_errors_is_a_hidden_failure(owner):
    execution = make_execution()
    failed_step(execution, status="completed", hidden=True)
    watch(owner, execution)
    ingest_signal(execution)
    event = FailureEvent.objects.get()
    assert event.kind == FailureKind.HIDDEN
    assert event.raw_info == '"[{errors : "the account_uuid field is required" }]"'
    assert Delivery.objects.alert_emails().get().alert.incident.family == "hidden"


def test_an_execution_failing_on_its_own_is_alerted(owner):
    execution = make_execution(status="Error")
    failed_step(execution, status="completed", info="", messages=())
    watch(owner, execution)
    ingest_signal(execution)
    event = FailureEvent.objects.get()
    assert event.kind == FailureKind.FAILED and event.step_uuid == "" and event.label == "Execution failed"
    assert Delivery.objects.alert_emails().get().alert.incident.is_execution_level


def test_an_execution_failure_caused_by_a_failed_step_is_recorded_but_not_emailed_twice(owner):
    execution = make_execution(status="failed")
    failed_step(execution, status="failed")
    watch(owner, execution)
    ingest_signal(execution)
    step_event = FailureEvent.objects.exclude(step_uuid="").get(kind=FailureKind.FAILED)
    execution_event = FailureEvent.objects.get(kind=FailureKind.FAILED, step_uuid="")
    assert execution_event.suppressed_reason == COVERED_BY_STEP
    assert step_event.step_name == "Send SMS"
    assert [d.alert.incident.step_name for d in Delivery.objects.alert_emails().all()] == ["Send SMS"]


def test_the_database_refuses_a_second_event_for_the_same_execution_step_and_kind():
    execution = make_execution()
    step = failed_step(execution)
    FailureEvent.objects.create(execution=execution, step_uuid=str(step.uuid), kind=FailureKind.FAILED)
    with pytest.raises(IntegrityError), transaction.atomic():
        FailureEvent.objects.create(execution=execution, step_uuid=str(step.uuid), kind=FailureKind.FAILED)


def test_nothing_is_recorded_when_the_ingest_transaction_rolls_back(owner):
    execution = make_execution()
    failed_step(execution)
    watch(owner, execution)

    class IngestCrashed(Exception):
        pass

    with pytest.raises(IngestCrashed), transaction.atomic():
        ingest_signal(execution)
        raise IngestCrashed()
    assert not FailureEvent.objects.exists()
    assert not Delivery.objects.alert_emails().exists()


def test_preferences_are_created_lazily_with_alerts_on(owner):
    execution = make_execution()
    failed_step(execution)
    watch(owner, execution)
    assert not AlertPreference.objects.filter(user=owner).exists()
    ingest_signal(execution)
    preference = AlertPreference.objects.get(user=owner)
    assert preference.enabled and preference.address == "owner@example.com"
    assert len(preference.opt_out_token) >= 40


@pytest.mark.django_db(transaction=True)
def test_pending_deliveries_are_queued_on_commit_not_before(owner, other_user, redis_client):
    execution = make_execution()
    failed_step(execution)
    watch(owner, execution)
    watch(other_user, execution)
    with transaction.atomic():
        ingest_signal(execution)
        assert redis_client.llen("deliveries") == 0, "queued before the transaction committed"
    queued = [json.loads(m) for m in redis_client.lrange("deliveries", 0, -1)]
    assert sorted(m["headers"]["task"] for m in queued) == ["channels.tasks.send_delivery"] * 2
    ids = sorted(m["headers"]["argsrepr"] for m in queued)
    assert ids == sorted(f"({d.pk},)" for d in Delivery.objects.alert_emails().all())


def _concurrently(count, work):
    import threading

    from django.db import connection

    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except Exception as exc:  # reported below, with the thread's exception
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_two_ingests_recording_the_same_failure_at_once_write_it_once(owner, other_user):
    execution = make_execution()
    failed_step(execution)
    watch(owner, execution)
    watch(other_user, execution)
    _concurrently(4, lambda i: ingest_signal(execution))
    assert FailureEvent.objects.count() == 1
    assert sorted(Delivery.objects.alert_emails().values_list("user__username", flat=True)) == ["other", "owner"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_recordings_never_admit_more_than_the_hourly_cap(owner, settings):
    settings.ALERT_EMAILS_PER_HOUR = 3
    executions = []
    for i in range(8):
        execution = make_execution()
        failed_step(execution, name=f"Step {i}")  # eight causes: eight incidents
        watch(owner, execution)
        executions.append(execution)
    _concurrently(8, lambda i: ingest_signal(executions[i]))
    assert Delivery.objects.alert_emails().filter(state=DeliveryState.PENDING).count() == 3
    assert Delivery.objects.alert_emails().filter(state=DeliveryState.HELD).count() == 5
    assert len(set(Delivery.objects.alert_emails().values_list("window_id", flat=True))) == 1
