"""The rendered message a channel sends.

The one message type of the product: the alerts app decides what to say and
to whom (alerts/emails.py renders it), a channel only says it. Email sends
`subject`, `text` and `html`; chat and webhook channels use `subject`, `text`,
`url` and `incident` (the webhook's JSON body).
"""

from dataclasses import dataclass, field

KINDS = (
    "incident_opened", "incident_regressed", "incident_reminder", "test",
    # A Plannr connection's state, told to the Admins (alerts/connection_alerts.py).
    "connection_broken", "connection_reminder", "connection_restored", "connection_expiring",
    # The week's or month's outcome report, to users who opted in (reports/emails.py).
    "outcome_report",
)


@dataclass(frozen=True)
class Notification:
    kind: str  # one of KINDS
    subject: str
    text: str
    html: str
    url: str
    # The generic webhook body of the incident (id, title, status, blueprint,
    # occurrences, clients, first_seen, last_seen, links, executions capped);
    # empty for a test message.
    incident: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown notification kind {self.kind!r}")


def test_notification(channel, site_url, channel_url):
    """The "send test message" message: says what it is and where it came from."""
    from django.template.loader import render_to_string

    context = {"channel": channel, "site_url": site_url, "channel_url": channel_url}
    return Notification(
        kind="test",
        subject=" ".join(render_to_string("channels/email/test_subject.txt", context).split()),
        text=render_to_string("channels/email/test.txt", context),
        html=render_to_string("channels/email/test.html", context),
        url=channel_url,
    )
