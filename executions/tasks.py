"""Celery tasks for polling Plannr. The logic lives in polling.py; tasks stay thin.

polling.py never imports this module: the dispatcher is handed the function that
enqueues a batch.

All tasks are acks_late: a worker killed mid-task leaves the message to be
delivered again, and the claim tokens make a second run harmless.
"""

from celery import shared_task

from . import polling


@shared_task(acks_late=True, ignore_result=True)
def dispatch_polls():
    """Beat runs this every POLL_DISPATCH_SECONDS: claim what is due, fan out batches."""
    polling.dispatch(send=lambda ids, token: poll_batch.delay(ids, str(token)))


@shared_task(acks_late=True, ignore_result=True)
def poll_batch(execution_ids, claim_token):
    polling.poll_claimed(execution_ids, claim_token)


@shared_task(acks_late=True, ignore_result=True)
def poll_now(execution_ids):
    """Poll these executions at once (new watches, the "poll now" button)."""
    polling.poll_now(execution_ids)
