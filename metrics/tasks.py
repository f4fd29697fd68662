from celery import shared_task

from . import exposition


@shared_task(ignore_result=True)
def refresh_metrics():
    """Beat runs this every METRICS_REFRESH_SECONDS: the database is read here, not per scrape."""
    exposition.refresh()
