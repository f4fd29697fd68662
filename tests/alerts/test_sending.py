"""Sending one delivery through a real SMTP server: claims, retries, outcomes, logs."""

import logging
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from channels import outbox, tasks
from alerts.models import AlertPreference
from channels.models import DeliveryState
from executions.models import Watch

from tests.builders import recorded_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def retry_settings(settings):
    settings.ALERT_RETRY_BASE_SECONDS = 30
    settings.ALERT_RETRY_MAX_SECONDS = 100
    settings.ALERT_MAX_ATTEMPTS = 4
    return settings


def test_a_delivery_is_sent_once_however_often_its_task_runs(owner, smtp_server):
    delivery = recorded_delivery(owner)
    assert outbox.send(delivery.pk) == DeliveryState.SENT
    assert outbox.send(delivery.pk) is None
    assert outbox.send(delivery.pk) is None
    assert len(smtp_server.received()) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 1 and delivery.sent_at is not None
    assert delivery.address == "owner@example.com" and delivery.last_error == ""
    assert smtp_server.envelopes()[0]["to"] == ["owner@example.com"]


def test_alerts_go_to_the_address_in_the_preferences_when_set(owner, smtp_server):
    AlertPreference.objects.create(user=owner, email="ops-team@example.org")
    delivery = recorded_delivery(owner)
    outbox.send(delivery.pk)
    assert smtp_server.envelopes()[0]["to"] == ["ops-team@example.org"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_delivery_send_one_email(owner, smtp_server):
    delivery = recorded_delivery(owner)
    start = threading.Barrier(4)
    results = []

    def worker():
        start.wait()
        try:
            results.append(outbox.send(delivery.pk))
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results, key=str) == sorted([DeliveryState.SENT, None, None, None], key=str)
    assert len(smtp_server.received()) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_an_smtp_outage_retries_with_backoff_then_sends_exactly_once(owner, smtp_server, retry_settings):
    delivery = recorded_delivery(owner)
    t0 = timezone.now()
    smtp_server.stop()

    assert outbox.send(delivery.pk, now=t0) == DeliveryState.RETRYING
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == t0 + timedelta(seconds=30)
    assert "Could not reach the mail server" in delivery.last_error

    # Not due yet: nobody may claim it early, even with the server back.
    smtp_server.start()
    assert outbox.send(delivery.pk, now=t0 + timedelta(seconds=29)) is None
    smtp_server.stop()
    t1 = t0 + timedelta(seconds=30)
    assert outbox.send(delivery.pk, now=t1) == DeliveryState.RETRYING
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == t1 + timedelta(seconds=60)

    smtp_server.start()
    t2 = t1 + timedelta(seconds=60)
    assert outbox.send(delivery.pk, now=t2) == DeliveryState.SENT
    assert outbox.send(delivery.pk, now=t2 + timedelta(hours=1)) is None
    assert len(smtp_server.received()) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.SENT, 3, "")


def test_backoff_doubles_and_is_capped(retry_settings):
    assert [outbox.retry_delay(n) for n in range(1, 6)] == [30, 60, 100, 100, 100]


def test_a_deferring_server_451_is_retried(owner, smtp_server, retry_settings):
    delivery = recorded_delivery(owner)
    smtp_server.tempfail = True
    assert outbox.send(delivery.pk) == DeliveryState.RETRYING
    delivery.refresh_from_db()
    assert "answered 451" in delivery.last_error
    assert smtp_server.deferred == 1 and smtp_server.received() == []


def test_after_the_last_attempt_the_delivery_fails_for_good_with_its_error(
    owner, smtp_server, retry_settings
):
    delivery = recorded_delivery(owner)
    smtp_server.stop()
    now = timezone.now()
    states = []
    for _ in range(4):
        states.append(outbox.send(delivery.pk, now=now))
        now += timedelta(seconds=100)
    assert states == [DeliveryState.RETRYING] * 3 + [DeliveryState.FAILED]
    delivery.refresh_from_db()
    assert delivery.attempts == 4 and "Could not reach the mail server" in delivery.last_error
    # Failed for good: nothing claims it any more...
    smtp_server.start()
    assert outbox.send(delivery.pk, now=now + timedelta(days=1)) is None
    # ...until someone asks for it again.
    assert outbox.retry_failed(delivery, tasks.enqueue_deliveries)
    assert outbox.send(delivery.pk) == DeliveryState.SENT
    assert len(smtp_server.received()) == 1


def test_a_recipient_refused_for_good_is_not_retried(owner, smtp_server, retry_settings):
    delivery = recorded_delivery(owner)
    smtp_server.reject_recipients = True
    assert outbox.send(delivery.pk) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert "refused the recipient: 550" in delivery.last_error


def test_no_address_fails_with_a_clear_message(django_user_model, smtp_server):
    user = django_user_model.objects.create_user("noaddress", "", "x")
    delivery = recorded_delivery(user)
    assert outbox.send(delivery.pk) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error == outbox.NO_ADDRESS
    assert smtp_server.received() == []


@pytest.mark.parametrize("change", ["alerts_off", "muted", "unwatched"])
def test_a_delivery_no_longer_wanted_when_due_is_cancelled(owner, smtp_server, change):
    delivery = recorded_delivery(owner)
    if change == "alerts_off":
        AlertPreference.objects.filter(user=owner).update(enabled=False)
    elif change == "muted":
        Watch.objects.filter(user=owner).update(muted=True)
    else:
        Watch.objects.filter(user=owner).delete()
    assert outbox.send(delivery.pk) == DeliveryState.CANCELLED
    delivery.refresh_from_db()
    assert delivery.last_error
    assert smtp_server.received() == []


def test_each_outcome_is_one_structured_log_line_without_the_token(
    owner, smtp_server, retry_settings, caplog
):
    delivery = recorded_delivery(owner)
    token = AlertPreference.objects.get(user=owner).opt_out_token
    smtp_server.stop()
    caplog.set_level(logging.INFO, logger="channels")
    now = timezone.now()
    outbox.send(delivery.pk, now=now)
    smtp_server.start()
    outbox.send(delivery.pk, now=now + timedelta(seconds=30))
    records = [
        r for r in caplog.records if r.name == "channels" and getattr(r, "delivery_id", None) == delivery.pk
    ]
    assert [(r.state, r.attempts, r.outcome) for r in records] == [
        ("retrying", 1, "will retry"),
        ("sent", 2, "sent"),
    ]
    assert all(r.alert_id == delivery.alert_id for r in records)
    assert "Could not reach the mail server" in records[0].error
    assert all(token not in r.getMessage() and token not in str(vars(r)) for r in caplog.records)
