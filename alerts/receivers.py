"""Signal receivers, connected in AlertsConfig.ready()."""

from monitors.subscriptions import subscribers_for

from . import outbox


def record_failures(sender, execution, failures, **kwargs):
    """Inside the ingest transaction: write rows only; sending waits for the commit.

    An exception here rolls back the ingest too, so the poll is retried and the
    failure is never half-recorded.
    """
    if failures:
        subscribers = subscribers_for([execution.pk]).get(execution.pk, ())
        outbox.record_failures(execution, failures, subscriber_ids=subscribers)
