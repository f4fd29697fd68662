"""Test messages through the outbox, in process, on a driven clock.

A receiver that fails or hangs for two (simulated) minutes and then recovers gets
the message exactly once; every attempt carries the same webhook-id. The worker
tests (test_worker.py) prove the same with real processes.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels import outbox
from channels.delivery import deliver
from channels.models import Delivery, DeliveryAttempt, DeliveryState, Kind, Topic

from .builders import incident_notification, make_channel

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE = timedelta(minutes=2)


def run_until_final(message, receiver, start, limit=20):
    """Send whenever the row is due, jumping the clock to that moment; the outage ends at start + OUTAGE."""
    for _ in range(limit):
        message.refresh_from_db()
        if message.is_final:
            return message
        now = max(message.next_attempt_at, start)
        if now >= start + OUTAGE:
            receiver.recover()
        outbox.send(message.pk, now=now)
    raise AssertionError(f"not final after {limit} attempts: {message.state} {message.last_error}")


@pytest.mark.parametrize("outage", ["error", "hang"])
def test_two_minutes_of_outage_then_recovery_delivers_exactly_once(owner, webhook_receiver, settings, outage):
    settings.ALERT_RETRY_BASE_SECONDS = 30
    # Long enough that the recovered receiver answers in time on a loaded machine.
    settings.CHANNEL_READ_TIMEOUT = 1.0
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    start = timezone.now()
    message = outbox.request_test(channel, owner, enqueue=lambda ids: None, now=start)
    getattr(webhook_receiver, outage)()

    message = run_until_final(message, webhook_receiver, start)

    assert message.state == DeliveryState.SENT
    assert len(webhook_receiver.delivered()) == 1
    requests = webhook_receiver.requests()
    assert len(requests) == message.attempts == 4  # at 0 s, 30 s, 90 s, then 210 s after the outage
    assert {r.headers["webhook-id"] for r in requests} == {message.idempotency_key}
    log = list(DeliveryAttempt.objects.filter(channel=channel).order_by("at").values_list("ok", flat=True))
    assert log == [False, False, False, True]


def test_a_claimed_row_cannot_be_claimed_again(owner, webhook_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    message = outbox.request_test(channel, owner, enqueue=lambda ids: None)
    now = timezone.now()
    assert outbox.claim(message.pk, now) is not None
    assert outbox.claim(message.pk, now) is None
    assert outbox.send(message.pk, now=now) is None
    assert webhook_receiver.requests() == []


def test_a_permanent_error_fails_at_once(owner, webhook_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.error(404)
    message = outbox.request_test(channel, owner, enqueue=lambda ids: None)
    assert outbox.send(message.pk) == DeliveryState.FAILED
    message.refresh_from_db()
    assert message.attempts == 1 and "answered 404" in message.last_error


def test_the_sweeper_takes_back_a_dead_workers_claim_and_requeues_lost_rows(owner, webhook_receiver, settings):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    now = timezone.now()
    long_ago = now - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS + 1)
    stale = outbox.request_test(channel, owner, enqueue=lambda ids: None, now=long_ago)
    assert outbox.claim(stale.pk, long_ago)
    lost = outbox.request_test(channel, owner, enqueue=lambda ids: None,
                               now=now - timedelta(seconds=settings.ALERT_SWEEP_SECONDS + 1))
    fresh = outbox.request_test(channel, owner, enqueue=lambda ids: None, now=now)
    queued = []
    result = outbox.sweep(lambda ids: queued.extend(ids), now=now)
    assert sorted(queued) == sorted([stale.pk, lost.pk])
    assert result["reclaimed"] == 1
    assert Delivery.objects.get(pk=stale.pk).state == DeliveryState.PENDING
    assert fresh.pk not in queued  # its on-commit message gets there first


def test_the_sweeper_sends_a_broken_notice_whose_first_try_failed(owner, webhook_receiver, smtp_server, settings):
    settings.CHANNEL_BROKEN_AFTER_HOURS = 0
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.error(500)
    smtp_server.stop()
    deliver(channel, incident_notification(), "k")
    channel.refresh_from_db()
    # The notice is a row of the one outbox, written once with the breakage, waiting for its retry.
    [notice] = Delivery.objects.filter(topic=Topic.NOTICE)
    assert channel.state == "broken" and channel.broken_notice_sent_at is not None
    assert notice.state == DeliveryState.RETRYING and notice.address == owner.email and notice.last_error
    smtp_server.start()
    later = timezone.now() + timedelta(hours=1)
    queued = []
    outbox.sweep(queued.extend, now=later)
    assert queued == [notice.pk]
    outbox.send(notice.pk, now=later)
    outbox.send(notice.pk, now=later)  # a second message for the same row sends nothing
    [email] = smtp_server.wait_for_count(1)
    assert "is broken" in email["Subject"]
    assert Delivery.objects.get(pk=notice.pk).state == DeliveryState.SENT
    deliver(channel, incident_notification(), "k")  # still broken: no second notice
    assert Delivery.objects.filter(topic=Topic.NOTICE).count() == 1
