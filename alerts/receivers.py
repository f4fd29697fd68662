"""Signal receivers, connected in AlertsConfig.ready()."""

from . import incident_alerts, outbox


def record_failures(sender, execution, failures, **kwargs):
    """Inside the ingest transaction: the per-failure history (the alerts page)."""
    if failures:
        outbox.record_failures(execution, failures)


def incident_receiver(enqueue, enqueue_channels=None):
    """The `incident_activity` receiver, sending through `enqueue` once the transaction commits.

    An exception here rolls back the ingest too, so the poll is retried and the
    alert is never half-recorded.
    """

    def record_alerts(sender, incident, occurrence, event, now=None, **kwargs):
        incident_alerts.on_activity(incident, occurrence, event, enqueue, now=now, enqueue_channels=enqueue_channels)

    return record_alerts
