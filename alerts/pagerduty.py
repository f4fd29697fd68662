"""Telling PagerDuty that an incident was acknowledged or resolved here.

The trigger is an ordinary channel alert (alerts.channel_alerts; channels.senders
sends a `pagerduty` channel an Events API v2 event). Acknowledge and resolve go to
every PagerDuty channel that was sent (or is due to be sent) an alert about the
incident, as rendered notices in the one outbox (`channels.models.Delivery`, topic
notice), so they have the same claim, retries, sweep and delivery log. Whoever acted (a page,
an action link, `manage.py incidents ack|resolve`), the change passes through
incidents.grouping.set_status, whose `status_changed` signal calls `sync`.
"""


from incidents.models import Status

# The notice's event, by the status the incident took.
EVENTS = {Status.ACKNOWLEDGED: "acknowledged", Status.RESOLVED: "resolved"}


def channels_told(incident):
    from channels.models import Channel, Delivery, Kind

    told = Delivery.objects.to_channels().filter(alert__incident_id=incident.pk).values("channel_id")
    return Channel.objects.filter(kind=Kind.PAGERDUTY, pk__in=told)


def notice(incident, status):
    """The rendered Notification (channels.messages) a notice row keeps; `incident` carries the dedup_key."""
    from .emails import incident_url

    verb = EVENTS[status]
    return {
        "kind": "incident",
        "event": verb,
        "subject": f"Incident #{incident.pk} {verb}: {incident.title}"[:300],
        "text": f"Incident #{incident.pk} was {verb} in Plannr monitor.",
        "html": "",
        "url": incident_url(incident),
        "incident": {"id": incident.pk, "fingerprint": incident.fingerprint, "title": incident.title,
                     "status": status, "severity": incident.severity},
    }


def sync(sender, incident, status, now, **kwargs):
    """incidents' `status_changed`: an acknowledgement or resolution goes to PagerDuty."""
    if status not in EVENTS or not incident.pk:
        return []
    from channels.models import Delivery, Kind, Topic
    from channels.outbox import queue_on_commit
    from channels.tasks import enqueue_deliveries

    rows = [
        Delivery.objects.create(topic=Topic.NOTICE, kind=Kind.PAGERDUTY, channel=channel,
                                notice=notice(incident, status), next_attempt_at=now, created_at=now)
        for channel in channels_told(incident)
    ]
    ids = [row.pk for row in rows]
    queue_on_commit(enqueue_deliveries, ids, now, now)
    return ids
