"""Route actions, one function each, called by the `route` command and the routes page.

Each validates what it is given and writes one audit row in the change's transaction.
"""

import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

import audit
from channels.models import Channel
from executions.models import FailureKind
from incidents.models import Severity
from monitors.models import Monitor

from . import severity as severities
from .models import EscalationStep, Route, RouteTarget

OPERATORS = "operators"


def parse_escalate(text):
    """"MINUTES:channel:ID", "MINUTES:user:NAME" or "MINUTES:operators" -> (minutes, kind, value)."""
    parts = text.split(":", 2)
    try:
        minutes = int(parts[0])
    except ValueError:
        raise ValidationError(f"{text!r}: the step must start with whole minutes.") from None
    if minutes < 0 or len(parts) < 2 or parts[1] not in ("channel", "user", OPERATORS):
        raise ValidationError(f"{text!r}: write MINUTES:channel:ID, MINUTES:user:NAME or MINUTES:operators.")
    if parts[1] != OPERATORS and len(parts) != 3:
        raise ValidationError(f"{text!r}: say which {parts[1]}.")
    return minutes, parts[1], parts[2] if len(parts) == 3 else ""


def _channel(value):
    channel = Channel.objects.filter(pk=int(value) if str(value).isdigit() else -1).first()
    if channel is None:
        raise ValidationError(f"No channel {value}.")
    return channel


def _user(name):
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        raise ValidationError(f"No active user named {name!r}.")
    return user


def create(*, name, monitor_id=None, blueprint="", family="", min_severity="", channel_ids=(), user_names=(),
           escalate=(), repeat_minutes=None, max_repeats=0, actor=None):
    """A new route, last in order. Raises ValidationError with what is wrong."""
    if not name.strip():
        raise ValidationError("A route needs a name.")
    if family and family not in FailureKind.values:
        raise ValidationError(f"Unknown family {family!r}: one of {', '.join(FailureKind.values)}.")
    if min_severity and min_severity not in Severity.values:
        raise ValidationError(f"Unknown severity {min_severity!r}: one of {', '.join(Severity.values)}.")
    monitor = None
    if monitor_id is not None:
        monitor = Monitor.objects.filter(pk=monitor_id).first()
        if monitor is None:
            raise ValidationError(f"No monitor {monitor_id}.")
    channels = [_channel(pk) for pk in channel_ids]
    users = [_user(n) for n in user_names]
    if not channels and not users:
        raise ValidationError("A route sends to at least one channel or user.")
    steps = []
    for text in escalate:
        minutes, kind, value = parse_escalate(text)
        steps.append(EscalationStep(
            position=len(steps), after_minutes=minutes, operators=kind == OPERATORS,
            channel=_channel(value) if kind == "channel" else None, user=_user(value) if kind == "user" else None,
        ))
    if [s.after_minutes for s in steps] != sorted(s.after_minutes for s in steps):
        raise ValidationError("Escalation steps must come in order of their minutes.")
    if (repeat_minutes is not None or max_repeats) and not steps:
        raise ValidationError("Repeats repeat the last escalation step: add an --escalate step.")
    if repeat_minutes is not None and repeat_minutes < 1:
        raise ValidationError("--repeat-minutes must be at least 1.")
    with transaction.atomic():
        last = Route.objects.aggregate(m=Max("position"))["m"]
        route = Route.objects.create(
            position=0 if last is None else last + 1, name=name.strip()[:200], monitor=monitor,
            blueprint=blueprint.strip()[:500], family=family, min_severity=min_severity,
            repeat_minutes=repeat_minutes, max_repeats=max_repeats or 0,
        )
        RouteTarget.objects.bulk_create([RouteTarget(route=route, channel=c) for c in channels]
                                        + [RouteTarget(route=route, user=u) for u in users])
        for step in steps:
            step.route = route
        EscalationStep.objects.bulk_create(steps)
        audit.record("route.create", actor=actor, actor_name="" if actor else "manage.py route",
                     target=f"route:{route.pk}", after=describe(route))
    return route


def delete(route):
    with transaction.atomic():
        audit.record("route.delete", target=f"route:{route.pk}", before=describe(route))
        route.delete()


def move(pk, *, by=0, to=None, actor=None):
    """Move route `pk` `by` places (-1: up, earlier; 1: down) or `to` the Nth place (1 is first).

    Returns the routes in their new order. Every route's row is locked (in order, so two
    movers queue rather than deadlock) and the positions are rewritten 0..n-1 from the
    locked list: two Admins moving at once take turns, each from the other's result, and
    no two routes ever share a position. Raises ValidationError with what is wrong.
    """
    with transaction.atomic():
        locked = Route.objects.select_for_update().order_by("position", "id")
        # Sorted again once locked: a row another mover changed meanwhile comes back with its
        # new position, but still in the order of the positions read before the wait.
        ordered = sorted(locked, key=lambda r: (r.position, r.pk))
        ids = [route.pk for route in ordered]
        if pk not in ids:
            raise ValidationError(f"No route {pk}: `manage.py route list` shows the routes.")
        before = ids.index(pk)
        after = before + by if to is None else to - 1
        if not 0 <= after < len(ids):
            raise ValidationError(f"Route {pk} cannot move there: there are {len(ids)} routes, "
                                  f"and it is number {before + 1}.")
        ids.insert(after, ids.pop(before))
        by_id = {route.pk: route for route in ordered}
        changed = []
        for position, route in enumerate(by_id[i] for i in ids):
            if route.position != position:
                route.position = position
                changed.append(route)
        Route.objects.bulk_update(changed, ["position"])
        if after != before:
            audit.record("route.move", actor=actor, actor_name="" if actor else "manage.py route",
                         target=f"route:{pk}", before={"place": before + 1}, after={"place": after + 1, "order": ids})
    return [by_id[i] for i in ids]


def mark_blueprint(name, severity):
    with transaction.atomic():
        audit.record("blueprint.severity", target=f"blueprint:{name}", after={"severity": severity or None})
        severities.mark_blueprint(name, severity)


def describe(route):
    targets = list(route.targets.select_related("user"))
    return {
        "id": route.pk,
        "position": route.position,
        "name": route.name,
        "monitor": route.monitor_id,
        "blueprint": route.blueprint or None,
        "blueprint_is_uuid": _is_uuid(route.blueprint),
        "family": route.family or None,
        "min_severity": route.min_severity or None,
        "channels": [t.channel_id for t in targets if t.channel_id],
        "users": [t.user.get_username() for t in targets if t.user_id],
        "escalation": [
            {"after_minutes": s.after_minutes, "notify": s.describe()}
            for s in route.steps.select_related("user").order_by("position")
        ],
        "repeat_minutes": route.repeat_minutes,
        "max_repeats": route.max_repeats,
    }


def _is_uuid(text):
    try:
        uuid.UUID(text)
    except (TypeError, ValueError):
        return False
    return True


def listing():
    return [describe(route) for route in Route.objects.all()]
