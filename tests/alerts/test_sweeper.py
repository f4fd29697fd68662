"""The sweeper: what a dead worker or a lost message left behind is picked up again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels import outbox
from channels.models import Delivery, DeliveryState

from tests.builders import recorded_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def timings(settings):
    settings.ALERT_CLAIM_TIMEOUT_SECONDS = 120
    settings.ALERT_SWEEP_SECONDS = 30
    settings.ALERT_MAX_ATTEMPTS = 3
    return settings


def sweep(now):
    ids = []
    result = outbox.sweep(ids.extend, now=now)
    digests = set(Delivery.objects.digests().filter(pk__in=ids).values_list("pk", flat=True))
    queued = {"deliveries": [pk for pk in ids if pk not in digests], "digests": [pk for pk in ids if pk in digests]}
    return queued, {**result, "reclaimed_deliveries": result["reclaimed"]}


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_after_the_claim_timeout(
    owner, smtp_server, timings
):
    delivery = recorded_delivery(owner)
    t0 = timezone.now()
    assert outbox.claim(delivery.pk, t0) is not None  # ...and the worker dies here.

    queued, _ = sweep(t0 + timedelta(seconds=119))
    assert queued["deliveries"] == []
    assert Delivery.objects.alert_emails().get(pk=delivery.pk).state == DeliveryState.SENDING

    queued, result = sweep(t0 + timedelta(seconds=121))
    assert queued["deliveries"] == [delivery.pk] and result["reclaimed_deliveries"] == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and "stopped before finishing" in delivery.last_error

    assert outbox.send(delivery.pk) == DeliveryState.SENT
    assert len(smtp_server.received()) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_the_dead_workers_late_finish_cannot_overwrite_the_new_claim(owner, timings):
    delivery = recorded_delivery(owner)
    t0 = timezone.now()
    old_token = outbox.claim(delivery.pk, t0)
    sweep(t0 + timedelta(seconds=121))
    new_token = outbox.claim(delivery.pk, t0 + timedelta(seconds=122))
    assert new_token and new_token != old_token
    delivery.refresh_from_db()
    assert outbox.finish(delivery, old_token, t0, state=DeliveryState.SENT) is False
    assert Delivery.objects.alert_emails().get(pk=delivery.pk).state == DeliveryState.SENDING


def test_a_dead_worker_on_the_last_attempt_fails_the_delivery_visibly(owner, timings):
    delivery = recorded_delivery(owner)
    Delivery.objects.alert_emails().filter(pk=delivery.pk).update(attempts=2)
    t0 = timezone.now()
    outbox.claim(delivery.pk, t0)
    queued, _ = sweep(t0 + timedelta(seconds=121))
    assert queued["deliveries"] == []
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and "no attempts left" in delivery.last_error


def test_a_pending_delivery_whose_message_was_lost_is_queued_after_a_grace(owner, timings):
    delivery = recorded_delivery(owner)
    created = delivery.next_attempt_at
    assert sweep(created + timedelta(seconds=10))[0]["deliveries"] == []  # its own message comes first
    assert sweep(created + timedelta(seconds=31))[0]["deliveries"] == [delivery.pk]


def test_a_due_retry_is_queued_again_and_a_future_one_is_not(owner, smtp_server, timings):
    delivery = recorded_delivery(owner)
    smtp_server.stop()
    t0 = timezone.now()
    outbox.send(delivery.pk, now=t0)
    delivery.refresh_from_db()
    due = delivery.next_attempt_at
    assert sweep(due)[0]["deliveries"] == []
    assert sweep(due + timedelta(seconds=30))[0]["deliveries"] == [delivery.pk]


def test_finished_deliveries_are_left_alone(owner, smtp_server, timings):
    delivery = recorded_delivery(owner)
    outbox.send(delivery.pk)
    queued, result = sweep(timezone.now() + timedelta(days=2))
    assert queued == {"deliveries": [], "digests": []}
    assert not any(result.values())
