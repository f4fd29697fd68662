"""Signal receivers, connected in AlertsConfig.ready()."""

from . import outbox


def record_failures(sender, execution, failures, **kwargs):
    """Inside the ingest transaction: write rows only; sending waits for the commit.

    An exception here rolls back the ingest too, so the poll is retried and the
    failure is never half-recorded.
    """
    if failures:
        outbox.record_failures(execution, failures)
