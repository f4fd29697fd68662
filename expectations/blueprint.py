"""A blueprint's page data: its executions (a table: ui/table.py), expectations with a fresh
verdict and an hourly chart against the expected band, and the run × step matrix.

A blueprint is a name within a Plannr connection (executions carry only the name, and the
same name in two connected accounts is two blueprints), so the page is keyed by both;
`/blueprint/<name>` finds the connections a name is known in (`connections_of`).
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.urls import reverse

from executions.models import Execution, FailureKind, Step
from incidents.models import Incident, Occurrence
from monitors.models import Monitor
from ui.table import Table

from . import evaluation
from .models import Expectation, Kind

MATRIX_RUNS = 50
CHART_HOURS = 48


def url(connection_id, name):
    return reverse("expectations:blueprint", args=[connection_id, name])


def blueprint_key(connection_id, name):
    """A short stable key for a blueprint (cache keys)."""
    return hashlib.sha256(f"{connection_id}:{name}".encode()).hexdigest()[:16]


def connections_of(name):
    """The ids of the connections a blueprint name is known in: executions, expectations, monitors."""
    found = set()
    for rows in (
        Execution.objects.filter(name=name).order_by().values_list("connection_id", flat=True).distinct(),
        Expectation.objects.filter(blueprint_name=name).values_list("connection_id", flat=True),
        Monitor.objects.filter(blueprint_name=name).values_list("connection_id", flat=True),
    ):
        found.update(rows)
    return sorted(found)


def connection_of_incident(incident):
    """The connection whose blueprint an incident is about: its expectation's, or the one its
    executions share; None when they span several (the by-name page then lists them)."""
    expectation = Expectation.objects.of_incident(incident)
    if expectation is not None:
        return expectation.connection_id
    ids = list(
        Occurrence.objects.filter(incident=incident).of_executions().order_by()
        .values_list("execution__connection_id", flat=True).distinct()[:2]
    )
    return ids[0] if len(ids) == 1 else None


def incidents_of(connection_id, name):
    """The blueprint's incidents: on its executions in this connection, or its expectations' breaches."""
    mine = Occurrence.objects.filter(execution__connection_id=connection_id, incident__blueprint_name=name)
    breaches = [
        e.fingerprint_message() for e in Expectation.objects.filter(connection_id=connection_id, blueprint_name=name)
    ]
    return Incident.objects.filter(blueprint_name=name).filter(
        Q(pk__in=mine.values("incident_id")) | Q(message__in=breaches)
    )


def executions_of(connection_id, name, user):
    return Execution.objects.filter(connection_id=connection_id, name=name).visible_to(user)


# The blueprint's executions, as `user` may see them; rows are the executions themselves.
# Its owner is the blueprint: (connection id, name).
EXECUTIONS = Table(
    name="execution",
    rows=lambda blueprint, user: executions_of(*blueprint, user),
    # Counts differ per viewer (each sees only what they may see): one cache entry per user.
    counts_key=lambda blueprint, user: f"blueprint:counts:{blueprint_key(*blueprint)}:{user.pk}",
    page_url="expectations:blueprint",
    rows_url="expectations:blueprint_rows",
    url_args=list,
    execution="",
    empty_text="No execution of this blueprint is stored.",
)


def verdicts(connection_id, name, now):
    """Each expectation of the blueprint with a verdict as of now (no write), suggestions apart."""
    expectations = list(
        Expectation.objects.filter(connection_id=connection_id, blueprint_name=name).select_related("connection")
    )
    accepted = [e for e in expectations if not e.suggested]
    monitors = list(Monitor.objects.filter(connection_id=connection_id))
    created, running = evaluation.read_rows(accepted, now) if accepted else ({}, {})
    judged = [evaluation.judge(e, monitors, created, running, now) for e in accepted]
    return judged, [e for e in expectations if e.suggested]


def hourly(connection_id, name, user, now, hours=CHART_HOURS):
    """[[unix seconds...], [executions...]] per hour of creation, uPlot's data shape."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    rows = (
        executions_of(connection_id, name, user).filter(remote_created_at__gte=start)
        .annotate(hour=TruncHour("remote_created_at")).values_list("hour").annotate(n=Count("id")).order_by()
    )
    counts = dict(rows)
    stamps = [start + timedelta(hours=h) for h in range(hours)]
    return [[int(s.timestamp()) for s in stamps], [counts.get(s, 0) for s in stamps]]


def band_per_hour(expectation):
    """The least a volume expectation asks for, per hour (the chart's band)."""
    if expectation.kind != Kind.VOLUME:
        return None
    return round(expectation.at_least * 60 / expectation.within_minutes, 2)


@dataclass
class Cell:
    outcome: str  # failed, hidden, completed, running, pending, none
    text: str


@dataclass
class Matrix:
    runs: list
    steps: list
    rows: list  # (step, [Cell per run, in the runs' order]) per step


def outcome(status, failure_kind):
    if failure_kind in (FailureKind.FAILED, FailureKind.HIDDEN):
        return str(failure_kind)
    return {"completed": "completed", "in_progress": "running", "pending": "pending"}.get((status or "").lower(),
                                                                                          "completed")


def matrix(connection_id, name, user, runs=MATRIX_RUNS):
    """The last `runs` executions (oldest on the left) by the blueprint's steps, in two queries."""
    executions = list(
        executions_of(connection_id, name, user).order_by("-remote_created_at", "-id")
        .only("id", "uuid", "remote_created_at", "status", "account_name")[:runs]
    )[::-1]
    positions, by_cell = {}, {}
    for execution_id, position, step, status, kind in Step.objects.filter(
        execution_id__in=[e.pk for e in executions]
    ).values_list("execution_id", "position", "name", "status", "failure_kind"):
        positions[step] = min(position, positions.get(step, position))
        by_cell[(step, execution_id)] = (status, kind)
    steps = sorted(positions, key=lambda s: (positions[s], s))
    rows = []
    for step in steps:
        row = []
        for execution in executions:
            found = by_cell.get((step, execution.pk))
            if found is None:
                row.append(Cell("none", f"{step}: not run"))
            else:
                result = outcome(*found)
                row.append(Cell(result, f"{step}: {result}"))
        rows.append((step, row))
    return Matrix(executions, steps, rows)
