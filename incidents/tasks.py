"""Celery tasks for incidents. Thin: the logic is in stalls.py and services.py."""

from celery import shared_task


@shared_task(ignore_result=True)
def housekeeping():
    """Run by beat every INCIDENT_HOUSEKEEPING_SECONDS: stalls, and snoozes whose time is up."""
    from . import services, stalls

    stalls.detect()
    services.wake_snoozed()
