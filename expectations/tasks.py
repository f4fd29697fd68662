"""Celery tasks for expectations; the logic lives in evaluation.py."""

from celery import shared_task

from . import evaluation


@shared_task(ignore_result=True)
def check_expectations():
    """Beat runs this every EXPECTATION_CHECK_SECONDS: every accepted expectation, from stored rows."""
    evaluation.evaluate()
