"""Celery tasks for routing. Thin: the logic is in escalation.py."""

from celery import shared_task


@shared_task(ignore_result=True)
def escalate():
    """Run by beat every ESCALATION_CHECK_SECONDS: the escalation steps that are due."""
    from alerts.tasks import enqueue_channel_deliveries, enqueue_deliveries

    from . import escalation

    escalation.take_due(enqueue_deliveries, enqueue_channels=enqueue_channel_deliveries)
