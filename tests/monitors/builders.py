"""Monitors for the tests, through the same service the pages and commands use."""

from monitors import services
from monitors.models import Scope


def everything(user, **kwargs):
    return services.create_monitor(services.MonitorSpec(scope=Scope.EVERYTHING, **kwargs), creator=user)


def blueprint(user, blueprint_uuid, **kwargs):
    spec = services.MonitorSpec(scope=Scope.BLUEPRINT, blueprint_uuid=blueprint_uuid, **kwargs)
    return services.create_monitor(spec, creator=user)


def clients(user, client_uuids, **kwargs):
    spec = services.MonitorSpec(scope=Scope.CLIENTS, client_uuids=list(client_uuids), **kwargs)
    return services.create_monitor(spec, creator=user)


def found(monitor):
    """The uuids a monitor has found, as strings."""
    return {str(u) for u in monitor.findings.values_list("execution__uuid", flat=True)}
