"""One function per action on an incident, called by every door (page, htmx, command, API).

Each checks once that `by` may act (None is ops tooling: the management
command), writes the history row, and saves. A page never changes a status
any other way.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

import audit
from accounts.roles import triagers

from .grouping import set_status
from .models import Incident, Status, StatusChange


def _may_act(incident, by):
    if by is not None and not Incident.objects.visible_to(by).filter(pk=incident.pk).exists():
        raise PermissionDenied("You cannot change this incident.")


def _change(incident, status, by, now, note="", automatic=False, **fields):
    _may_act(incident, by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.status == status and not fields:
            return locked
        set_status(locked, status, by, now, note, automatic=automatic)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
    return locked


def acknowledge(incident, by, now=None):
    return _change(incident, Status.ACKNOWLEDGED, by, now)


def resolve(incident, by, now=None):
    return _change(incident, Status.RESOLVED, by, now)


def ignore(incident, by, now=None):
    return _change(incident, Status.IGNORED, by, now)


def reopen(incident, by, now=None):
    return _change(incident, Status.OPEN, by, now)


def snooze(incident, by, *, duration=None, occurrences=None, now=None):
    """Quiet until `duration` (a timedelta) has passed, or `occurrences` more have come."""
    if (duration is None) == (occurrences is None):
        raise ValueError("Snooze for a time or for a number of occurrences, not both.")
    now = now or timezone.now()
    if duration is not None:
        if duration <= timedelta(0):
            raise ValueError("A snooze must last a positive time.")
        until = now + duration
        note = f"Snoozed until {timezone.localtime(until):%d %b %Y %H:%M %Z}."
        return _change(incident, Status.SNOOZED, by, now, note, snoozed_until=until, snooze_until_occurrences=None)
    if occurrences < 1:
        raise ValueError("A snooze must last at least one occurrence.")
    note = f"Snoozed for {occurrences} more occurrence{'s' if occurrences != 1 else ''}."
    return _change(
        incident, Status.SNOOZED, by, now, note,
        snoozed_until=None, snooze_until_occurrences=incident.occurrences + occurrences,
    )


def assign(incident, by, to):
    """Assign to `to`, who must be able to triage (an Operator or Admin); None unassigns.
    The change is written to the incident's history as well as the audit log."""
    _may_act(incident, by)
    if to is not None and not triagers().filter(pk=to.pk).exists():
        raise ValueError(f"{to.get_username()} cannot triage incidents: assign an Operator or an Admin.")
    with transaction.atomic():
        # select_for_update(of=("self",)): PostgreSQL cannot lock the nullable side of the join.
        locked = Incident.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=incident.pk)
        before = locked.assignee
        if (before and before.pk) == (to and to.pk):
            return locked
        note = f"Assigned to {to.get_username()}." if to else f"Unassigned (was {before.get_username()})."
        StatusChange.objects.create(
            incident=locked, from_status=locked.status, to_status=locked.status, by=by, note=note, at=timezone.now()
        )
        Incident.objects.filter(pk=incident.pk).update(assignee=to, version=F("version") + 1)
        audit.record(
            "incident.assign", actor=by, target=f"incident:{incident.pk}",
            before={"assignee": before.get_username() if before else None},
            after={"assignee": to.get_username() if to else None},
        )
    incident.refresh_from_db()
    return incident


def wake_snoozed(now=None):
    """Reopen snoozed incidents whose time is up. Run by the periodic incidents task."""
    now = now or timezone.now()
    woken = 0
    for incident in Incident.objects.snooze_over(now):
        _change(incident, Status.OPEN, None, now, "The snooze ended.", automatic=True)
        woken += 1
    return woken


ACTIONS = {"acknowledge": acknowledge, "resolve": resolve, "ignore": ignore, "reopen": reopen}
