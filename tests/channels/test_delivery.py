"""deliver(): one attempt, logged; broken after CHANNEL_BROKEN_AFTER_HOURS of failures; recovery."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.delivery import deliver
from channels.models import Channel, ChannelState, DeliveryAttempt, Kind
from tests.fixtures.smtp import body, subject

from .builders import incident_notification, make_channel

pytestmark = pytest.mark.django_db


def test_each_attempt_is_logged_with_status_and_error(owner, webhook_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.error(503)
    result = deliver(channel, incident_notification(), "alert_1_channel_1")
    assert not result.ok and result.retryable
    webhook_receiver.ok()
    assert deliver(channel, incident_notification(), "alert_1_channel_1").ok
    failed, ok = DeliveryAttempt.objects.filter(channel=channel).order_by("at", "id")
    assert (failed.ok, failed.status_code, ok.ok, ok.status_code) == (False, 503, True, 200)
    assert "answered 503" in failed.error and ok.error == ""
    assert failed.idempotency_key == ok.idempotency_key == "alert_1_channel_1"
    # Both attempts carried the same webhook-id.
    assert {r.headers["webhook-id"] for r in webhook_receiver.requests()} == {"alert_1_channel_1"}


def test_failing_for_the_whole_period_marks_broken_emails_the_owner_once_and_recovers(
    owner, webhook_receiver, smtp_server, settings
):
    settings.CHANNEL_BROKEN_AFTER_HOURS = 24
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.error(500)
    start = timezone.now()
    for hours in (0, 6, 23):
        deliver(channel, incident_notification(), "k", now=start + timedelta(hours=hours))
    assert Channel.objects.get(pk=channel.pk).state == ChannelState.OK  # not yet a whole day
    for hours in (24, 25, 30):
        deliver(channel, incident_notification(), "k", now=start + timedelta(hours=hours))
    channel.refresh_from_db()
    assert channel.state == ChannelState.BROKEN and channel.broken_notice_sent_at is not None
    [notice] = smtp_server.wait_for_count(1)
    assert subject(notice) == "[Plannr] Channel “webhook channel” is broken"
    assert "answered 500" in body(notice, "plain")
    assert "/hook" not in body(notice, "plain") and "/hook" not in body(notice, "html")

    webhook_receiver.ok()
    deliver(channel, incident_notification(), "k", now=start + timedelta(hours=31))
    channel.refresh_from_db()
    assert channel.state == ChannelState.OK and channel.failing_since is None
    assert len(smtp_server.received()) == 1  # still just the one notice


def test_a_success_in_between_restarts_the_clock(owner, webhook_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    start = timezone.now()
    webhook_receiver.error(500)
    deliver(channel, incident_notification(), "k", now=start)
    webhook_receiver.ok()
    deliver(channel, incident_notification(), "k", now=start + timedelta(hours=12))
    webhook_receiver.error(500)
    deliver(channel, incident_notification(), "k", now=start + timedelta(hours=13))
    deliver(channel, incident_notification(), "k", now=start + timedelta(hours=30))
    assert Channel.objects.get(pk=channel.pk).state == ChannelState.OK


def test_email_channel_sends_text_and_html_with_a_stable_message_id(owner, smtp_server):
    channel = make_channel(owner, Kind.EMAIL, "ops@example.com")
    assert deliver(channel, incident_notification(), "alert_7").ok
    [message] = smtp_server.wait_for_count(1)
    assert message["To"] == "ops@example.com"
    assert message["Message-ID"] == "<alert_7@testserver>"
    assert "failing" in body(message, "plain") and "<p>Send SMS is failing</p>" in body(message, "html")


def test_email_refused_recipient_is_final_and_an_outage_retries(owner, smtp_server):
    channel = make_channel(owner, Kind.EMAIL, "nobody@example.com")
    smtp_server.reject_recipients = True
    result = deliver(channel, incident_notification(), "k")
    assert not result.ok and not result.retryable and "550" in result.error
    smtp_server.reject_recipients = False
    smtp_server.stop()
    result = deliver(channel, incident_notification(), "k")
    assert not result.ok and result.retryable


@pytest.mark.django_db(transaction=True)  # the foreign key is checked when the attempt commits
def test_a_channel_deleted_during_the_send_is_not_an_error(owner, webhook_receiver, monkeypatch):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    from channels import senders

    real_send = senders.send

    def send_then_delete(*args):
        result = real_send(*args)
        Channel.objects.filter(pk=channel.pk).delete()
        return result

    monkeypatch.setattr(senders, "send", send_then_delete)
    assert deliver(channel, incident_notification(), "k").ok
    assert not DeliveryAttempt.objects.exists()
