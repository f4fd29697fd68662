"""The rendered message a channel sends.

The one message type of the product: the alerts app decides what to say and
to whom (alerts/emails.py renders it), a channel only says it. Email sends
`subject`, `text`, `html` and `headers`; chat and webhook channels use `subject`,
`text`, `url` and `incident` (the webhook's JSON body).
"""

from dataclasses import dataclass, field

# What a notification is about; `event` says what happened to it.
KINDS = ("incident", "connection", "channel", "test")


@dataclass(frozen=True)
class Notification:
    kind: str  # one of KINDS
    subject: str
    text: str
    html: str
    url: str
    # The generic webhook body of the incident (id, title, status, blueprint, occurrences,
    # clients, first_seen, last_seen, links, executions_total and the executions the
    # destination's kind lists); empty for anything but an incident.
    incident: dict = field(default_factory=dict)
    # incident: an alerts.models.AlertEvent value (opened, regressed, reminder, resolved);
    # connection: broken, reminder, restored, expiring; channel: broken; test: "".
    event: str = ""
    # Extra email headers (List-Unsubscribe); other kinds ignore them.
    headers: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown notification kind {self.kind!r}")

    @property
    def type(self):
        """"incident.opened", "connection.broken", "test": the webhook's `type` and the log's kind."""
        return f"{self.kind}.{self.event}" if self.event else self.kind

    def stored(self):
        """The fields a notice row keeps (channels.models.Delivery.notice)."""
        return {"kind": self.kind, "event": self.event, "subject": self.subject, "text": self.text,
                "html": self.html, "url": self.url}


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
