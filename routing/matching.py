"""Which route an incident takes: the first, in order, whose conditions all hold.

`route_for(incident, execution_ids, monitor_ids)` answers with a constant number of
queries (the routes with their targets and steps, the monitors that found the executions
or cover the occurrence, with their blueprint uuids), whatever the number of routes.
None: the default route.
"""

import uuid

from monitors.models import Finding, Monitor

from incidents.models import SEVERITY_RANK as RANK

from .models import Route


def _uuid(text):
    try:
        return uuid.UUID(text)
    except (TypeError, ValueError):
        return None


def matches(route, incident, monitor_ids, blueprint_uuids):
    if route.monitor_id and route.monitor_id not in monitor_ids:
        return False
    if route.blueprint:
        as_uuid = _uuid(route.blueprint)
        if as_uuid is not None:
            if as_uuid not in blueprint_uuids:
                return False
        elif route.blueprint != incident.blueprint_name:
            return False
    if route.family and route.family != incident.family:
        return False
    if route.min_severity and RANK[incident.severity or "normal"] < RANK[route.min_severity]:
        return False
    return True


def route_for(incident, execution_ids, monitor_ids=()):
    """`monitor_ids`: monitors that cover an occurrence without an execution (alerts.recipients.monitors_of)."""
    routes = list(Route.objects.prefetch_related("targets", "steps"))
    if not routes:
        return None
    ids = [pk for pk in execution_ids if pk is not None]
    pairs = list(Finding.objects.filter(execution_id__in=ids).values_list("monitor_id", "monitor__blueprint_uuid"))
    if monitor_ids:
        pairs += Monitor.objects.filter(pk__in=list(monitor_ids)).values_list("pk", "blueprint_uuid")
    monitors = {monitor_id for monitor_id, _ in pairs}
    blueprint_uuids = {blueprint_uuid for _, blueprint_uuid in pairs if blueprint_uuid}
    for route in routes:
        if matches(route, incident, monitors, blueprint_uuids):
            return route
    return None


def targets_of(route):
    """(user ids, channel ids) a route tells at once: its users reach their own chat,
    webhook and PagerDuty channels too, as on the default route."""
    targets = list(route.targets.all())
    user_ids = [t.user_id for t in targets if t.user_id]
    return user_ids, [t.channel_id for t in targets if t.channel_id] + own_channels(user_ids)


def own_channels(user_ids):
    """The users' own channels other than email (their email is their alert email)."""
    from channels.models import Channel, Kind

    if not user_ids:
        return []
    return list(
        Channel.objects.filter(owner_id__in=user_ids, owner__is_active=True).exclude(kind=Kind.EMAIL)
        .values_list("pk", flat=True)
    )
