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
    polling.dispatch(send=lambda rows, token: poll_batch.delay(rows, str(token)))


@shared_task(acks_late=True, ignore_result=True)
def poll_batch(batch, claim_token):
    """`batch`: the claimed rows the dispatcher sent (or bare ids, from older messages)."""
    polling.poll_claimed(batch, claim_token)


@shared_task(acks_late=True, ignore_result=True)
def poll_now(execution_ids):
    """Poll these executions at once (new watches, the "poll now" button)."""
    polling.poll_now(execution_ids)
