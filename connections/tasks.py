"""Celery tasks for connections. Thin: the logic is in health.py."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def check_connections():
    """Beat runs this every POLL_INTERVAL_SECONDS: degraded connections, reminders, expiry warnings."""
    from . import health

    health.check()
