"""Celery tasks for polling Plannr. The logic lives in polling.py; tasks are thin."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def poll_now(execution_ids):
    """Poll these executions at once (new watches, the "poll now" button)."""
    from . import polling

    polling.poll_now(execution_ids)
