from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing and escalation"

    def ready(self):
        from incidents import hooks
        from incidents.signals import status_changed

        from . import escalation, severity

        hooks.register_severity_rule(severity.of_incident)
        status_changed.connect(escalation.stop, dispatch_uid="routing.stop_escalation")
