from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Failure alerts"

    def ready(self):
        from channels.tasks import enqueue_test_messages
        from connections.signals import connection_event
        from executions.signals import failures_detected
        from incidents.signals import incident_activity, status_changed

        from . import connection_alerts, pagerduty, receivers, tasks

        failures_detected.connect(receivers.record_failures, dispatch_uid="alerts.record_failures")
        # Kept referenced here: signals hold receivers weakly.
        self.incident_receiver = receivers.incident_receiver(
            tasks.enqueue_deliveries, tasks.enqueue_channel_deliveries
        )
        incident_activity.connect(self.incident_receiver, dispatch_uid="alerts.record_incident_alerts")
        self.connection_receiver = connection_alerts.receiver(enqueue_test_messages)
        connection_event.connect(self.connection_receiver, dispatch_uid="alerts.connection_notices")
        status_changed.connect(pagerduty.sync, dispatch_uid="alerts.pagerduty_sync")
