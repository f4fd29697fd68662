"""Celery tasks for reports; the logic lives in emails.py."""

from celery import shared_task

from channels.tasks import enqueue_deliveries

from . import emails


@shared_task(acks_late=True, ignore_result=True)
def send_report_emails():
    """Beat runs this every REPORT_EMAIL_CHECK_SECONDS: queues the report emails that are due."""
    emails.send_due(enqueue=enqueue_deliveries)
