from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Failure alerts"

    def ready(self):
        from executions.signals import failures_detected

        from . import receivers

        failures_detected.connect(receivers.record_failures, dispatch_uid="alerts.record_failures")
