"""One notification, every kind of channel, each exactly once, each in its own shape.

The alerts outbox calls deliver() once per (alert, channel); this is the part of
"one alert, every channel, once" that channels owns: real HTTP receivers, and
aiosmtpd for the email.
"""

import pytest
from standardwebhooks.webhooks import Webhook

from channels import services
from channels.delivery import deliver
from channels.models import Kind
from tests.fixtures.smtp import body, subject

from .builders import incident_notification, make_channel

pytestmark = pytest.mark.django_db


def test_one_notification_reaches_email_teams_slack_and_webhook_exactly_once(owner, webhook_receiver, smtp_server):
    email = make_channel(owner, Kind.EMAIL, "ops@example.com")
    teams = make_channel(owner, Kind.TEAMS, webhook_receiver.url("/teams"))
    slack = make_channel(owner, Kind.SLACK, webhook_receiver.url("/slack"))
    webhook, secret = services.create_channel(owner, Kind.WEBHOOK, "hook", webhook_receiver.url("/webhook"))
    webhook_receiver.ok(202)  # Teams Workflows' answer; Slack and webhooks accept any 2xx
    notification = incident_notification()

    for channel in (email, teams, slack, webhook):
        result = deliver(channel, notification, f"alert_1_channel_{channel.pk}")
        assert result.ok, (channel.kind, result.error)

    [message] = smtp_server.wait_for_count(1)
    assert subject(message) == notification.subject and "failing" in body(message, "plain")
    [card] = webhook_receiver.requests("/teams")
    assert card.json()["attachments"][0]["content"]["type"] == "AdaptiveCard"
    [blocks] = webhook_receiver.requests("/slack")
    assert blocks.json()["blocks"][0]["type"] == "header"
    [signed] = webhook_receiver.requests("/webhook")
    assert Webhook(secret).verify(signed.body, signed.headers)["incident"]["id"] == 42
    assert len(webhook_receiver.requests()) == 3 and len(smtp_server.received()) == 1
