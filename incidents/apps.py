from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from executions.signals import failures_detected

        from . import receivers

        failures_detected.connect(receivers.group_failures, dispatch_uid="incidents.group_failures")
