"""Who is told about an incident: the one place that decides it.

The watchers of the affected executions whose watch is not muted, and the
subscribers of the monitors that found them (monitors.subscriptions) unless
they muted that monitor; a user who muted their watch of an execution hears
nothing about it either way. Inactive accounts hear nothing. Whether a user
wants alert emails at all (their preference) is checked by the caller, under
the preference lock the throttle needs anyway.
"""

from django.db.models import Q

from executions.models import Execution, Watch
from expectations.coverage import covering_monitor_ids
from monitors.subscriptions import subscribers_for, subscribers_of


def monitors_of(occurrence):
    """An occurrence without an execution (a missing incident of a blueprint with none stored) is
    heard of through the monitors covering its blueprint; any other through its execution ([])."""
    return [] if occurrence.execution_id is not None else covering_monitor_ids(occurrence.incident)


def hears_without_execution(user_id, incident):
    """Whether the user still hears of the incident's occurrence without an execution (monitors_of)."""
    if not incident.occurrence_rows.filter(execution__isnull=True).exists():
        return False
    return user_id in subscribers_of(covering_monitor_ids(incident))


def for_executions(execution_ids, monitor_ids=()):
    """{user_id: [execution_id, ...]} for everyone to tell about these executions, and
    the subscribers of `monitor_ids` (monitors_of) with no execution."""
    ids = [pk for pk in execution_ids if pk is not None]
    pairs = set(
        Watch.objects.filter(execution_id__in=ids, muted=False, user__is_active=True).values_list(
            "user_id", "execution_id"
        )
    )
    for execution_id, user_ids in subscribers_for(ids).items():
        pairs.update((user_id, execution_id) for user_id in user_ids)
    if pairs:
        muted = set(Watch.objects.filter(execution_id__in=ids, muted=True).values_list("user_id", "execution_id"))
        pairs -= muted
    recipients = {}
    for user_id, execution_id in sorted(pairs):
        recipients.setdefault(user_id, []).append(execution_id)
    for user_id in sorted(subscribers_of(monitor_ids)) if monitor_ids else ():
        recipients.setdefault(user_id, [])
    return recipients


def for_incident(incident, execution_ids, monitor_ids=()):
    """(recipients as for_executions, the route's channel ids or None, the route or None).

    The first matching route (routing.matching) names its users and channels; with none,
    the default route: the executions' watchers and subscribers (and those of `monitor_ids`,
    monitors_of), and their channels.
    """
    from django.contrib.auth import get_user_model

    from routing.matching import route_for, targets_of

    ids = list(execution_ids)
    route = route_for(incident, ids, monitor_ids)
    if route is None:
        return for_executions(ids, monitor_ids), None, None
    user_ids, channel_ids = targets_of(route)
    active = get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True)
    return {user_id: ids for user_id in sorted(active)}, channel_ids, route


def executions_of(user_id):
    """The executions (a subquery of ids) a user hears about: watched and not muted, or found by
    a monitor they subscribe to without muting it, unless they muted their watch of it."""
    heard = Q(watches__user_id=user_id, watches__muted=False) | Q(
        monitor_findings__monitor__subscriptions__user_id=user_id,
        monitor_findings__monitor__subscriptions__muted=False,
    )
    muted = Watch.objects.filter(user_id=user_id, muted=True).values("execution_id")
    return Execution.objects.filter(heard).exclude(pk__in=muted).values("id").distinct()
