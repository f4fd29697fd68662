from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing and escalation"

    def ready(self):
        from incidents.signals import incident_activity

        from . import receivers

        incident_activity.connect(receivers.start_escalation, dispatch_uid="routing.start_escalation")
