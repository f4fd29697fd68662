"""Celery tasks for alert emails. Thin: the logic is in sending.py and outbox.py.

acks_late: a message is acknowledged only after the task ran, so a worker that
dies mid-task leaves it to be delivered again; the claim makes that harmless.
"""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def send_delivery(delivery_id):
    from . import sending

    sending.send_delivery(delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def send_digest(digest_id):
    from . import sending

    sending.send_digest(digest_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_deliveries():
    """Run by beat every ALERT_SWEEP_SECONDS: dead workers' claims, lost messages, due digests."""
    from . import outbox

    outbox.sweep()
