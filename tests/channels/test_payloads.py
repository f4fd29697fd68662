"""The shape of what each kind is sent: Adaptive Card, Block Kit, webhook JSON schema v1."""

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from channels import payloads
from channels.messages import Notification

from .builders import incident_notification

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "webhook-schema-v1.json").read_text())
NOW = datetime(2026, 12, 2, 9, 31, tzinfo=UTC)


def test_teams_payload_is_a_message_with_one_adaptive_card():
    payload = payloads.teams(incident_notification())
    assert payload["type"] == "message"
    [attachment] = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    assert card["body"][0]["type"] == "TextBlock" and "New incident" in card["body"][0]["text"]
    facts = {f["title"]: f["value"] for f in next(b for b in card["body"] if b["type"] == "FactSet")["facts"]}
    assert facts["Occurrences"] == "212" and facts["Clients"] == "198" and facts["Status"] == "open"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in Plannr monitor", "url": "http://testserver/incidents/42/"}
    ]


def test_slack_payload_has_header_section_fields_and_a_button_with_escaped_text():
    notification = incident_notification()
    payload = payloads.slack(notification)
    assert payload["text"].startswith("[Plannr] New incident")  # the notification fallback
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    assert payload["blocks"][0]["text"]["type"] == "plain_text"
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    fields = payload["blocks"][2]["fields"]
    assert {"type": "mrkdwn", "text": "*Occurrences*\n212"} in fields
    # Plannr text is data: mrkdwn's <...> link syntax is escaped.
    assert "Client &lt;0&gt;" in payload["blocks"][3]["elements"][0]["text"]
    button = payload["blocks"][4]["elements"][0]
    assert button["type"] == "button" and button["url"] == "http://testserver/incidents/42/"


def test_webhook_payload_follows_the_documented_schema():
    body = payloads.webhook(incident_notification(), "msg_1", NOW)
    jsonschema.validate(body, SCHEMA)
    assert body["type"] == "incident.opened"
    assert body["incident"]["occurrences"] == 212
    assert body["timestamp"] == "2026-12-02T09:31:00Z"


def test_a_test_message_has_no_incident_and_still_follows_the_schema():
    test = Notification(kind="test", subject="Test", text="t", html="", url="http://testserver/channels/1/")
    body = payloads.webhook(test, "msg_2", NOW)
    jsonschema.validate(body, SCHEMA)
    assert body["type"] == "test" and body["incident"] is None


def test_a_schema_violation_is_caught(settings):
    body = payloads.webhook(incident_notification(), "msg_1", NOW)
    body["incident"]["status"] = "exploded"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, SCHEMA)


def test_executions_are_capped_by_count_and_by_size(settings):
    settings.CHANNEL_WEBHOOK_MAX_EXECUTIONS = 10
    body = payloads.webhook(incident_notification(executions=40), "m", NOW)
    assert len(body["incident"]["executions"]) == 10 and body["incident"]["executions_truncated"]
    settings.CHANNEL_WEBHOOK_MAX_EXECUTIONS = 1000
    settings.CHANNEL_MAX_PAYLOAD_BYTES = 4096
    body = payloads.webhook(incident_notification(executions=400), "m", NOW)
    assert len(payloads.encode(body)) <= 4096
    assert body["incident"]["executions_truncated"] and body["incident"]["occurrences"] == 212
    jsonschema.validate(body, SCHEMA)
