"""Celery tasks of the one delivery outbox. Thin: the logic is in outbox.py.

Domain code gets `enqueue_deliveries` passed in (alerts/apps.py, the views) and never
imports this module's tasks. acks_late: a worker that dies mid-task leaves the message
to be delivered again; the conditional claim makes that harmless.
"""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def send_delivery(delivery_id):
    from . import outbox

    outbox.send(delivery_id, enqueue=enqueue_deliveries)


@shared_task(acks_late=True, ignore_result=True)
def sweep_deliveries():
    """Run by beat every ALERT_SWEEP_SECONDS: first whatever other apps write when due (the
    alerts' reminders, through the `sweeping` signal), then dead workers' claims and lost messages."""
    from . import outbox
    from .signals import sweeping

    sweeping.send(sender=outbox, enqueue=enqueue_deliveries)
    outbox.sweep(enqueue_deliveries)


def enqueue_deliveries(ids, countdown=None):
    from .outbox import enqueue

    return enqueue(send_delivery, ids, countdown)
