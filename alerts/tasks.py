"""Celery tasks for alert emails. Thin: the logic is in sending.py, outbox.py and incident_alerts.py.

This module is where the domain code meets the queue: it passes
`enqueue_deliveries` / `enqueue_digests` in, and no domain module imports it.

acks_late: a message is acknowledged only after the task ran, so a worker that
dies mid-task leaves it to be delivered again; the claim makes that harmless.
"""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def send_delivery(delivery_id):
    from . import sending

    sending.send_delivery(delivery_id, enqueue=enqueue_deliveries)


@shared_task(acks_late=True, ignore_result=True)
def send_digest(digest_id):
    from . import sending

    sending.send_digest(digest_id, enqueue=enqueue_digests)


@shared_task(acks_late=True, ignore_result=True)
def send_channel_delivery(channel_delivery_id):
    from . import channel_alerts

    channel_alerts.send(channel_delivery_id, enqueue=enqueue_channel_deliveries)


@shared_task(acks_late=True, ignore_result=True)
def sweep_deliveries():
    """Run by beat every ALERT_SWEEP_SECONDS: due reminders, dead workers' claims, lost messages, due digests."""
    from . import incident_alerts, outbox

    incident_alerts.record_reminders(enqueue=enqueue_deliveries, enqueue_channels=enqueue_channel_deliveries)
    outbox.sweep(enqueue_deliveries, enqueue_digests, send_channel_deliveries=enqueue_channel_deliveries)


@shared_task(ignore_result=True)
def escalate():
    """Run by beat every ESCALATION_CHECK_SECONDS: the escalation steps that are due (routing/)."""
    from routing import escalation

    escalation.take_due(notify_step)


def notify_step(incident, route, user_ids, channel_ids, now):
    """What an escalation step does (routing.escalation.take_due's `notify`): an alert, queued on commit."""
    from . import incident_alerts

    incident_alerts.escalation_alert(incident, route, user_ids, channel_ids, now, enqueue_deliveries,
                                     enqueue_channels=enqueue_channel_deliveries)


def enqueue_deliveries(ids, countdown=None):
    from .outbox import enqueue

    return enqueue(send_delivery, ids, countdown)


def enqueue_digests(ids, countdown=None):
    from .outbox import enqueue

    return enqueue(send_digest, ids, countdown)


def enqueue_channel_deliveries(ids, countdown=None):
    from .outbox import enqueue

    return enqueue(send_channel_delivery, ids, countdown)
