"""Shared builders for the channel tests."""

from channels import services
from channels.messages import Notification

SLACK_SECRET_PATH = "/services/T0001/B0002/XyZsecretSlackToken123"


def make_channel(user, kind, target, name=None, organisation=False):
    channel, _secret = services.create_channel(
        user, kind, name or f"{kind} channel", target, organisation=organisation, operator=True
    )
    return channel


def incident_body(executions=3):
    return {
        "id": 42,
        "title": "Send SMS: the account_uuid field is required",
        "status": "open",
        "regression": False,
        "blueprint": "Send client welcome pack",
        "occurrences": 212,
        "clients": 198,
        "first_seen": "2026-12-02T09:14:00Z",
        "last_seen": "2026-12-02T09:31:00Z",
        "links": {"incident": "http://testserver/incidents/42/"},
        "executions": [
            {"uuid": f"00000000-0000-0000-0000-{i:012d}", "name": "Send client welcome pack",
             "client": f"Client <{i}>", "status": "failed", "url": f"http://testserver/executions/{i}/"}
            for i in range(executions)
        ],
    }


def incident_notification(event="opened", executions=3):
    return Notification(
        kind="incident",
        event=event,
        subject="[Plannr] New incident: Send SMS — the account_uuid field is required (212 executions)",
        text="Send SMS in Send client welcome pack is failing: the account_uuid field is required.",
        html="<p>Send SMS is failing</p>",
        url="http://testserver/incidents/42/",
        incident=incident_body(executions),
    )
