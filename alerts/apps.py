from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Failure alerts"

    def ready(self):
        from channels import outbox
        from channels.models import Topic
        from channels.signals import sweeping
        from channels.tasks import enqueue_deliveries
        from connections.signals import connection_event
        from executions.signals import failures_detected
        from incidents.signals import incident_activity, status_changed

        from . import connection_alerts, pagerduty, receivers, sending

        # What an alert and a digest say is decided here; the outbox sends them.
        outbox.register(Topic.ALERT, sending.compose_alert)
        outbox.register(Topic.DIGEST, sending.compose_digest)
        failures_detected.connect(receivers.record_failures, dispatch_uid="alerts.record_failures")
        # Kept referenced here: signals hold receivers weakly.
        self.incident_receiver = receivers.incident_receiver(enqueue_deliveries)
        incident_activity.connect(self.incident_receiver, dispatch_uid="alerts.record_incident_alerts")
        self.connection_receiver = connection_alerts.receiver(enqueue_deliveries)
        connection_event.connect(self.connection_receiver, dispatch_uid="alerts.connection_notices")
        sweeping.connect(receivers.sweeping_receiver, dispatch_uid="alerts.reminders")
        status_changed.connect(pagerduty.sync, dispatch_uid="alerts.pagerduty_sync")
