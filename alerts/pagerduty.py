"""Telling PagerDuty that an incident was acknowledged or resolved here.

The trigger is an ordinary channel alert (alerts.channel_alerts; channels.senders
sends a `pagerduty` channel an Events API v2 event). Acknowledge and resolve go to
every PagerDuty channel that was sent (or is due to be sent) an alert about the
incident, as rendered notices in the channels' outbox (`channels.TestMessage`), so
they have the same claim, retries, sweep and delivery log. Whoever acted (a page,
an action link, `manage.py incidents ack|resolve`), the change passes through
incidents.grouping.set_status, whose `status_changed` signal calls `sync`.
"""

from django.db import transaction

from incidents.models import Status

EVENTS = {Status.ACKNOWLEDGED: "incident_acknowledged", Status.RESOLVED: "incident_resolved"}


def channels_told(incident):
    from channels.models import Channel, Kind

    from .models import ChannelDelivery

    told = ChannelDelivery.objects.filter(alert__incident_id=incident.pk).values("channel_id")
    return Channel.objects.filter(kind=Kind.PAGERDUTY, pk__in=told)


def notice(incident, status):
    from .emails import incident_url

    verb = "acknowledged" if status == Status.ACKNOWLEDGED else "resolved"
    url = incident_url(incident)
    return {
        "kind": EVENTS[status],
        "subject": f"Incident #{incident.pk} {verb}: {incident.title}"[:300],
        "text": f"Incident #{incident.pk} was {verb} in Plannr monitor.",
        "html": "",
        "url": url,
        "incident": {"id": incident.pk, "fingerprint": incident.fingerprint, "title": incident.title,
                     "status": status, "severity": incident.severity},
    }


def sync(sender, incident, status, now, **kwargs):
    """incidents' `status_changed`: an acknowledgement or resolution goes to PagerDuty."""
    if status not in EVENTS or not incident.pk:
        return []
    from channels.models import TestMessage
    from channels.tasks import enqueue_test_messages

    rows = [
        TestMessage.objects.create(channel=channel, notice=notice(incident, status), next_attempt_at=now,
                                   created_at=now)
        for channel in channels_told(incident)
    ]
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: enqueue_test_messages(ids), robust=True)
    return ids
