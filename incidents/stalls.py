"""Stalls: an in-progress execution waiting far longer than usual for its next step.

"Usual" is learned per blueprint and step from the history in the database: the
wait before a step is the time from the previous step's run (or the execution's
start) to its own run. An execution is stalled when it has waited longer than
STALL_FACTOR x the 95th percentile of those waits, and at least
STALL_FLOOR_MINUTES. A step that normally waits long ("Wait 2 days") has a long
95th percentile, so its normal waits are never flagged. Without
STALL_MIN_SAMPLES past waits nothing is known, and nothing is flagged.

A stall is an occurrence like any failure (FailureKind.STALLED), grouped by
blueprint and step. It clears when the execution moves on (its next step changes
or it finishes); an incident whose stalls have all cleared resolves itself.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from executions.models import Execution, FailureKind, Step

from . import fingerprint as fp
from .grouping import add_occurrence, set_status
from .models import Incident, Occurrence, Status

HISTORY = 500


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return None
    index = max(math.ceil(q * len(ordered)) - 1, 0)
    return ordered[index]


def observed_waits(blueprint, step_name, limit=HISTORY):
    """Seconds waited before `step_name` ran, in the latest `limit` executions of `blueprint`."""
    previous = Step.objects.filter(execution_id=OuterRef("execution_id"), position=OuterRef("position") - 1)
    rows = (
        Step.objects.filter(execution__name=blueprint, name=step_name, executed_at__isnull=False)
        .annotate(previous_ran=Subquery(previous.values("executed_at")[:1]))
        .values_list("executed_at", "previous_ran", "execution__remote_created_at")
        .order_by("-executed_at")[:limit]
    )
    waits = []
    for ran, previous_ran, started in rows:
        since = previous_ran or started
        if since is not None and ran >= since:
            waits.append((ran - since).total_seconds())
    return waits


def threshold(blueprint, step_name):
    """How long a wait before this step may last before it is a stall (a timedelta), or None."""
    waits = observed_waits(blueprint, step_name)
    if len(waits) < settings.STALL_MIN_SAMPLES:
        return None
    p95 = percentile(waits, 0.95)
    return max(timedelta(seconds=p95 * settings.STALL_FACTOR), timedelta(minutes=settings.STALL_FLOOR_MINUTES))


def _waiting_since(execution):
    ran = (execution.previous_step or {}).get("executed_at")
    since = parse_datetime(ran) if isinstance(ran, str) else None
    return since if isinstance(since, datetime) else execution.remote_created_at


def candidates():
    """Watched, unfinished executions with a next step to wait for."""
    return (
        Execution.objects.filter(is_finished=False, next_poll_at__isnull=False, next_step__isnull=False)
        .exclude(name="")
        .only("id", "name", "next_step", "previous_step", "remote_created_at", "account_uuid", "account_name")
    )


def detect(now=None):
    """Record new stalls and clear the ones that moved on. Returns (stalled, cleared)."""
    now = now or timezone.now()
    cleared = clear_moved_on(now)
    thresholds = {}
    stalled = 0
    for execution in candidates().iterator(chunk_size=500):
        step = (execution.next_step or {}).get("name") or ""
        since = _waiting_since(execution)
        if not step or since is None:
            continue
        key = (execution.name, step)
        if key not in thresholds:
            thresholds[key] = threshold(*key)
        limit = thresholds[key]
        if limit is None or now - since <= limit:
            continue
        if _record(execution, step, since, now, limit):
            stalled += 1
    return stalled, cleared


def _minutes(delta):
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _record(execution, step, since, now, limit):
    key = fp.fingerprint(execution.name, step, FailureKind.STALLED, "")
    message = f"Waiting {_minutes(now - since)} for {step}; more than the {_minutes(limit)} that counts as a stall."
    with transaction.atomic():
        return add_occurrence(
            execution, key, now, step=step, family=FailureKind.STALLED, message="",
            step_uuid=str((execution.next_step or {}).get("uuid") or "")[:36], status="in_progress",
            messages=[message], raw_info="", occurred_at=since,
        ) is not None


def clear_moved_on(now):
    """Stall occurrences whose execution finished or went on to another step are cleared."""
    open_stalls = Occurrence.objects.uncleared_stalls().select_related("execution")
    moved = [
        o.pk for o in open_stalls
        if o.execution.is_finished or str((o.execution.next_step or {}).get("uuid") or "") != o.step_uuid
    ]
    if not moved:
        return 0
    with transaction.atomic():
        Occurrence.objects.filter(pk__in=moved).update(cleared_at=now)
        done = (
            Incident.objects.select_for_update()
            .filter(family=FailureKind.STALLED, status__in=[Status.OPEN, Status.ACKNOWLEDGED, Status.SNOOZED])
            .exclude(pk__in=Occurrence.objects.uncleared_stalls().values("incident_id"))
        )
        for incident in done:
            set_status(incident, Status.RESOLVED, None, now, "Every stalled execution moved on.", automatic=True)
            incident.version += 1
            incident.save()
    return len(moved)
