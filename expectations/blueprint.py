"""A blueprint's page data: its executions (a table: ui/table.py), expectations with a fresh
verdict and an hourly chart against the expected band, and the run × step matrix.

Executions carry only their blueprint's name, so the page is keyed by it; expectations
(keyed by uuid) are matched by the name they recorded.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncHour

from executions.models import Execution, Step
from monitors.models import Monitor
from ui.table import Table

from . import breaches, evaluation
from .models import Expectation, Kind

MATRIX_RUNS = 50
CHART_HOURS = 48


def blueprint_key(name):
    """A short stable key for a blueprint's name (cache keys)."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def executions_of(name, user):
    return Execution.objects.filter(name=name).visible_to(user)


# The blueprint's executions, as `user` may see them; rows are the executions themselves.
EXECUTIONS = Table(
    name="execution",
    rows=lambda name, user: executions_of(name, user),
    # Counts differ per viewer (each sees only what they may see): one cache entry per user.
    counts_key=lambda name, user: f"blueprint:counts:{blueprint_key(name)}:{user.pk}",
    page_url="expectations:blueprint",
    rows_url="expectations:blueprint_rows",
    url_args=lambda name: [name],
    execution="",
    empty_text="No execution of this blueprint is stored.",
)


def verdicts(name, now):
    """Each expectation of the blueprint with a verdict as of now (no write), suggestions apart."""
    expectations = list(Expectation.objects.filter(blueprint_name=name).select_related("connection"))
    accepted = [e for e in expectations if not e.suggested]
    monitors = list(Monitor.objects.all())
    created, running = evaluation.read_rows(accepted, now) if accepted else ({}, {})
    judged = [evaluation.judge(e, monitors, created, running, now) for e in accepted]
    breaches.note_unanchored(judged)
    return judged, [e for e in expectations if e.suggested]


def hourly(name, user, now, hours=CHART_HOURS):
    """[[unix seconds...], [executions...]] per hour of creation, uPlot's data shape."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    rows = (
        executions_of(name, user).filter(remote_created_at__gte=start)
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
    if failure_kind == "failed":
        return "failed"
    if failure_kind == "hidden":
        return "hidden"
    return {"completed": "completed", "in_progress": "running", "pending": "pending"}.get((status or "").lower(),
                                                                                          "completed")


def matrix(name, user, runs=MATRIX_RUNS):
    """The last `runs` executions (oldest on the left) by the blueprint's steps, in two queries."""
    executions = list(
        executions_of(name, user).order_by("-remote_created_at", "-id")
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
