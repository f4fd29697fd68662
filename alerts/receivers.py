"""Signal receivers, connected in AlertsConfig.ready()."""

from . import history, incident_alerts


def record_failures(sender, execution, failures, **kwargs):
    """Inside the ingest transaction: the per-failure history (the alerts page)."""
    if failures:
        history.record_failures(execution, failures)


def incident_receiver(enqueue):
    """The `incident_activity` receiver, sending through `enqueue` once the transaction commits.

    An exception here rolls back the ingest too, so the poll is retried and the
    alert is never half-recorded.
    """

    def record_alerts(sender, incident, occurrence, event, now=None, **kwargs):
        incident_alerts.on_activity(incident, occurrence, event, enqueue, now=now)

    return record_alerts


def sweeping_receiver(sender, enqueue, **kwargs):
    """Before each sweep of the outbox: write the reminders that are due."""
    incident_alerts.record_reminders(enqueue=enqueue)
