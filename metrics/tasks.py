from celery import shared_task

from . import exposition, store


@shared_task(ignore_result=True)
def refresh_metrics():
    """Beat runs this every METRICS_REFRESH_SECONDS: the database is read here, not per scrape."""
    try:
        exposition.refresh()
    except store.NoRedis:
        # The no-Redis embedded run has nowhere to keep metrics (/metrics says so);
        # failing every 15 s would only fill the worker's log.
        return
