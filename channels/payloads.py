"""What each kind of channel is sent: built from a Notification, capped in size.

- Teams (Workflows webhook): a message with one Adaptive Card attachment.
- Slack (incoming webhook): Block Kit blocks with a plain-text fallback.
- Generic webhook: the versioned JSON documented in docs/channels.md.
Text from Plannr is data here: Slack's mrkdwn control characters are escaped,
and Adaptive Card TextBlocks do not render HTML.
"""

import json
from urllib.parse import urlsplit

from django.conf import settings

WEBHOOK_SCHEMA_VERSION = 1
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"
ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# Chat messages carry a summary, not the whole incident: the link has the rest.
TEXT_LIMIT = 2000
SLACK_HEADER_LIMIT = 150
CHAT_EXECUTIONS = 5



def _cut(text, limit):
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _facts(incident):
    """(label, value) pairs shown by the chat cards."""
    if not incident:
        return []
    facts = [
        ("Status", incident.get("status")),
        ("Severity", incident.get("severity")),
        ("Blueprint", incident.get("blueprint")),
        ("Occurrences", incident.get("occurrences")),
        ("Clients", incident.get("clients")),
        ("First seen", incident.get("first_seen")),
        ("Last seen", incident.get("last_seen")),
    ]
    return [(label, str(value)) for label, value in facts if value not in (None, "")]


def _action_links(incident):
    """(title, url) of the incident's Acknowledge and Resolve links (routing/actions.py), if any."""
    links = (incident or {}).get("links") or {}
    return [(title, links[key]) for key, title in (("acknowledge", "Acknowledge"), ("resolve", "Resolve"))
            if links.get(key)]


def _executions(incident):
    return list((incident or {}).get("executions") or [])


def _execution_line(execution):
    name = execution.get("client") or execution.get("name") or execution.get("uuid") or "execution"
    return str(name)


def teams(notification):
    body = [
        {"type": "TextBlock", "text": _cut(notification.subject, 300), "weight": "Bolder", "size": "Medium",
         "wrap": True},
        {"type": "TextBlock", "text": _cut(notification.text, TEXT_LIMIT), "wrap": True},
    ]
    facts = _facts(notification.incident)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": _cut(v, 200)} for k, v in facts]})
    executions = _executions(notification.incident)[:CHAT_EXECUTIONS]
    if executions:
        body.append(
            {"type": "TextBlock", "text": "Affected: " + ", ".join(_execution_line(e) for e in executions),
             "wrap": True, "isSubtle": True}
        )
    card = {"$schema": ADAPTIVE_CARD_SCHEMA, "type": "AdaptiveCard", "version": ADAPTIVE_CARD_VERSION,
            "body": body}
    if notification.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Plannr monitor", "url": notification.url}]
    card.setdefault("actions", []).extend(
        {"type": "Action.OpenUrl", "title": title, "url": url} for title, url in _action_links(notification.incident)
    )
    if not card["actions"]:
        del card["actions"]
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def slack_escape(text):
    # Slack's mrkdwn only needs these three; the rest is shown as typed.
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(notification):
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(notification.subject, SLACK_HEADER_LIMIT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(_cut(notification.text, TEXT_LIMIT))}},
    ]
    facts = _facts(notification.incident)
    if facts:
        blocks.append(
            {"type": "section",
             "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{slack_escape(_cut(v, 200))}"} for k, v in facts[:10]]}
        )
    executions = _executions(notification.incident)[:CHAT_EXECUTIONS]
    if executions:
        blocks.append(
            {"type": "context",
             "elements": [{"type": "mrkdwn",
                           "text": slack_escape("Affected: " + ", ".join(_execution_line(e) for e in executions))}]}
        )
    buttons = [("Open in Plannr monitor", notification.url)] if notification.url else []
    buttons += _action_links(notification.incident)
    if buttons:
        blocks.append(
            {"type": "actions",
             "elements": [{"type": "button", "text": {"type": "plain_text", "text": title}, "url": url}
                          for title, url in buttons]}
        )
    return {"text": _cut(notification.subject, 300), "blocks": blocks}


# PagerDuty Events API v2: our severities in its four, and our notification kinds in its actions.
PAGERDUTY_SEVERITIES = {"critical": "critical", "high": "error", "normal": "warning", "low": "info"}
# By the incident's event (alerts.models.AlertEvent, and "acknowledged" from alerts/pagerduty.py).
PAGERDUTY_ACTIONS = {
    "opened": "trigger", "regressed": "trigger", "reminder": "trigger",
    "acknowledged": "acknowledge", "resolved": "resolve",
}


def pagerduty(notification, routing_key):
    """One Events API v2 event; the incident's fingerprint is its dedup_key, so every event
    about one incident lands on one PagerDuty incident."""
    incident = notification.incident or {}
    action = PAGERDUTY_ACTIONS.get(notification.event, "trigger")
    event = {"routing_key": routing_key, "event_action": action,
             "dedup_key": incident.get("fingerprint") or f"test-{incident.get('id', 'message')}"}
    if action != "trigger":
        return event
    host = urlsplit(settings.SITE_URL).hostname or "plannr-monitor"
    event["payload"] = {
        "summary": _cut(notification.subject, 1024) or "Plannr monitor",
        "source": host,
        "severity": PAGERDUTY_SEVERITIES.get(incident.get("severity"), "warning"),
        "component": _cut(incident.get("blueprint") or "", 200) or None,
        "class": incident.get("family") or None,
        "custom_details": {k: incident.get(k) for k in ("id", "title", "status", "occurrences", "clients")
                           if incident.get(k) is not None},
    }
    event["payload"] = {k: v for k, v in event["payload"].items() if v is not None}
    event["client"] = "Plannr monitor"
    if notification.url:
        event["client_url"] = notification.url
        event["links"] = [{"href": notification.url, "text": "Open in Plannr monitor"}]
    return event


def webhook(notification, message_id, timestamp):
    """The generic webhook body (schema version 1, docs/channels.md)."""
    incident = dict(notification.incident) if notification.incident else None
    body = {
        "schema_version": WEBHOOK_SCHEMA_VERSION,
        "type": notification.type,
        "id": message_id,
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
        "subject": notification.subject,
        "text": notification.text,
        "url": notification.url,
        "incident": incident,
    }
    if incident is not None:
        executions = _executions(incident)
        cap = settings.CHANNEL_WEBHOOK_MAX_EXECUTIONS
        incident["executions"] = executions[:cap]
        # Truthful: fewer listed than the incident's affected executions (the alert composed at
        # most this kind's cap, channels.senders.executions_cap), or cut here.
        total = incident.get("executions_total", len(executions))
        incident["executions_truncated"] = len(incident["executions"]) < max(total, len(executions))
        # Over the size cap, drop executions until it fits (the counts stay exact).
        while len(encode(body)) > settings.CHANNEL_MAX_PAYLOAD_BYTES and incident["executions"]:
            incident["executions"] = incident["executions"][: len(incident["executions"]) // 2]
            incident["executions_truncated"] = True
    return body


def encode(payload):
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
