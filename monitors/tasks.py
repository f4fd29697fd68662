"""Celery tasks for monitors; the logic lives in discovery.py and retention.py."""

from celery import shared_task

from . import discovery, personal_data, retention


@shared_task(acks_late=True, ignore_result=True)
def discover():
    """Beat runs this every DISCOVERY_INTERVAL_SECONDS: one sweep of every active monitor."""
    discovery.sweep()


@shared_task(acks_late=True, ignore_result=True)
def prune():
    """Beat runs this daily: personal-data retention, then retention, in bounded chunks."""
    personal_data.clear()
    retention.prune()
