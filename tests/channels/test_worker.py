"""Test messages through real Celery workers on Redis, to a real HTTP receiver.

Outages are compressed (retries after 1 s, not 30 s); test_outbox.py drives the
full two minutes on a clock. Where the claim timeout matters, the claim is moved
back in time by exactly that much instead of waiting for it.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F

from channels import outbox
from channels.models import Kind, DeliveryState, Delivery
from channels.tasks import enqueue_deliveries, sweep_deliveries
from tests.waiting import wait_for

from .builders import make_channel

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    "ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
    "ALERT_RETRY_BASE_SECONDS": "1",
    "ALERT_RETRY_MAX_SECONDS": "2",
    "ALERT_MAX_ATTEMPTS": "20",
    "CHANNEL_READ_TIMEOUT": "1",
}


def state_of(message):
    return Delivery.objects.filter(pk=message.pk).values_list("state", flat=True).first()


@pytest.mark.parametrize("outage", ["error", "hang"])
def test_an_outage_then_recovery_delivers_exactly_once(celery_processes, webhook_receiver, owner, outage):
    celery_processes.worker(extra_env=WORKER_ENV)
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    getattr(webhook_receiver, outage)()
    message = outbox.request_test(channel, owner, enqueue_deliveries)  # queued on commit

    webhook_receiver.wait_for_count(3, timeout=30)  # three failed attempts, retried by the worker
    webhook_receiver.recover()
    wait_for(lambda: state_of(message) == DeliveryState.SENT, timeout=30, message="the test message sent")

    assert len(webhook_receiver.delivered()) == 1
    assert {r.headers["webhook-id"] for r in webhook_receiver.requests()} == {message.idempotency_key}
    message.refresh_from_db()
    assert message.attempts == len(webhook_receiver.requests())


def test_a_worker_killed_during_a_send_loses_nothing(celery_processes, webhook_receiver, owner):
    worker = celery_processes.worker(name="doomed", extra_env=WORKER_ENV)
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.hang()
    message = outbox.request_test(channel, owner, enqueue_deliveries)
    assert webhook_receiver.holding.wait(30), "the worker never sent"
    assert state_of(message) == DeliveryState.SENDING
    worker.kill()  # SIGKILL mid-send: the row stays claimed by a dead worker

    webhook_receiver.recover()  # the hung request is dropped: nothing was delivered
    assert webhook_receiver.delivered() == []
    # The claim timeout passes (moved, not waited for); the sweeper takes the row back.
    Delivery.objects.filter(pk=message.pk).update(
        claimed_at=F("claimed_at") - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS + 1),
        next_attempt_at=F("next_attempt_at") - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS + 1),
    )
    celery_processes.worker(name="rescuer", extra_env=WORKER_ENV)
    sweep_deliveries()
    wait_for(lambda: state_of(message) == DeliveryState.SENT, timeout=30, message="the rescued test message sent")

    assert len(webhook_receiver.delivered()) == 1
    requests = webhook_receiver.requests()
    assert len(requests) == 2 and {r.headers["webhook-id"] for r in requests} == {message.idempotency_key}
