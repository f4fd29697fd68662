"""Signal receivers, connected in RoutingConfig.ready()."""

from . import escalation
from .matching import route_for


def start_escalation(sender, incident, occurrence, event, now=None, **kwargs):
    """A new incident or a regression starts its route's escalation policy (again)."""
    if event not in ("opened", "regressed"):
        return
    from alerts.recipients import monitors_of

    route = route_for(incident, [occurrence.execution_id], monitors_of(occurrence))
    if route is not None:
        escalation.start(incident, route, now or incident.last_seen)
