"""Which monitors watch a blueprint: an expectation is only checked where one does.

A monitor covers a blueprint only within its own connection (a blueprint uuid, and its
executions, belong to one Plannr account): when it belongs to the expectation's
connection, its scope is everything or that blueprint, and its name narrowing (if any) lets the blueprint's name through. A clients monitor covers
only some of a blueprint's executions, so it does not count. The answer is worked
out from one list of every monitor, read once per evaluation.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from monitors.models import Monitor, Scope


@dataclass(frozen=True)
class Coverage:
    # True: at least one covering monitor is active now.
    watched: bool
    # Active: since when executions have been found without a gap (start point, end of
    # the last maintenance window); else the maintenance window's end, if in one.
    since: datetime | None
    # Why nothing can be said when not watched, or the maintenance window when quiet.
    reason: str
    in_maintenance: bool = False


def covers(monitor, connection_id, blueprint_uuid, blueprint_name):
    if monitor.connection_id != connection_id:
        return False
    if monitor.scope == Scope.EVERYTHING:
        pass
    elif monitor.scope == Scope.BLUEPRINT:
        if str(monitor.blueprint_uuid) != str(blueprint_uuid):
            return False
    else:
        return False
    return not monitor.name_contains or monitor.name_contains.lower() in blueprint_name.lower()


def coverage(monitors, connection_id, blueprint_uuid, blueprint_name, now):
    mine = [m for m in monitors if covers(m, connection_id, blueprint_uuid, blueprint_name)]
    active = [m for m in mine if not m.is_paused(now)]
    if active:
        since = min(_active_since(m, now) for m in active)
        return Coverage(True, since, "")
    windows = [m for m in mine if not m.paused and m.paused_until and m.paused_until > now]
    if windows:
        first = min(windows, key=lambda m: m.paused_until)
        return Coverage(False, first.paused_until, f"maintenance window: monitor “{first.name}” is paused", True)
    if mine:
        return Coverage(False, None, "every monitor that covers this blueprint is paused")
    return Coverage(False, None, "no active monitor covers this blueprint")


def _active_since(monitor, now):
    since = monitor.start_at
    if monitor.paused_until and monitor.paused_until <= now:
        since = max(since, monitor.paused_until)
    return since


def covering_monitor_ids(incident, now=None):
    """The active monitors covering the blueprint of an expectation's incident: whom its
    occurrence without an execution is told to (alerts/recipients.py). [] for any other incident."""
    from .models import Expectation

    expectation = Expectation.objects.of_incident(incident)
    if expectation is None:
        return []
    now = now or timezone.now()
    return [
        m.pk for m in Monitor.objects.filter(connection_id=expectation.connection_id)
        if covers(m, expectation.connection_id, expectation.blueprint_uuid, expectation.blueprint_name)
        and not m.is_paused(now)
    ]
