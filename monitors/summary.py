"""What the monitors page and the overview show, each in a fixed number of queries."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, When

from executions.health import PollHealth, poll_health
from executions.models import Execution
from incidents.models import Incident, Status
from dashboard.htmx import fingerprint

from .models import Finding, Monitor, Subscription

LIST_LIMIT = 10
WINDOW = timedelta(hours=24)
# The overview's counts stop here ("1,000+"): an exact count would visit every running execution.
COUNT_CAP = 1000


@dataclass
class MonitorRow:
    monitor: object
    paused: bool
    subscription: object  # the viewer's Subscription, or None
    new: int = 0
    running: int = 0
    failing: int = 0
    finished: int = 0


def monitor_rows(user, now):
    """Every monitor with its last-24-hour counts and the viewer's subscription: three queries."""
    monitors = list(Monitor.objects.all())
    # Naming the monitors lets PostgreSQL read the (monitor, -found_at) index for the last
    # 24 h only, instead of scanning every finding and hashing every execution.
    # Naming the monitors reads the (monitor, -found_at) index for the last 24 h only; each
    # finding's execution state is one primary-key probe (a scalar subquery), where a join
    # made PostgreSQL scan and hash every execution.
    state = Subquery(
        Execution.objects.filter(pk=OuterRef("execution_id"))
        .annotate(s=Case(When(is_finished=True, then=1), default=0) + Case(When(is_failing=True, then=2), default=0))
        .values("s")[:1],
        output_field=IntegerField(),
    )
    counts = {}
    # Grouped by state, so that each finding's probe runs once (a FILTER per count ran it thrice).
    for row in (
        Finding.objects.filter(monitor_id__in=[m.pk for m in monitors], found_at__gte=now - WINDOW)
        .annotate(state=state)
        .values("monitor_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        c = counts.setdefault(row["monitor_id"], {"new": 0, "running": 0, "failing": 0, "finished": 0})
        finished, failing = (row["state"] or 0) & 1, (row["state"] or 0) & 2
        c["new"] += row["n"]
        c["finished" if finished else "running"] += row["n"]
        if failing:
            c["failing"] += row["n"]
    subscriptions = {s.monitor_id: s for s in Subscription.objects.filter(user=user)}
    rows = []
    for monitor in monitors:
        c = counts.get(monitor.pk, {})
        rows.append(
            MonitorRow(
                monitor=monitor,
                paused=monitor.is_paused(now),
                subscription=subscriptions.get(monitor.pk),
                new=c.get("new", 0),
                running=c.get("running", 0),
                failing=c.get("failing", 0),
                finished=c.get("finished", 0),
            )
        )
    return rows


def rows_fingerprint(rows, now):
    return fingerprint(
        [
            (
                r.monitor.pk, r.monitor.updated_at, r.monitor.last_swept_at, r.paused, r.new, r.running,
                r.failing, r.finished, r.subscription.muted if r.subscription else None,
            )
            for r in rows
        ],
        int(now.timestamp() // 60),
    )


@dataclass
class Overview:
    failing: list
    failing_count: int
    running: list
    running_count: int
    monitors: list
    health: PollHealth  # executions/health.py
    fingerprint: str
    open_incidents: int = 0


_LIST_FIELDS = ("id", "uuid", "name", "status", "account_name", "failure_message", "remote_created_at",
                "remote_updated_at", "steps_done", "steps_count", "version", "is_failing", "is_finished")


def _capped_counts(*querysets):
    """How many rows each queryset has, counting no further than COUNT_CAP + 1: one query."""
    parts, params = [], []
    for qs in querysets:
        sql, p = qs.order_by().values("pk")[: COUNT_CAP + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [n if n <= COUNT_CAP else f"{COUNT_CAP:,}+" for n in cursor.fetchone()]


def overview(user, now):
    """Failing now (failing, changed in the last 24 h), running, each monitor's last sweep, poll health.

    Each list and count reads a partial index of executions (execution_failing_idx,
    execution_running_idx) newest first and stops after its page or COUNT_CAP rows, so
    the refresh costs the same at 1,000 executions as at 100,000.
    """
    # Probed row by row: these read along an index and stop after a page or COUNT_CAP rows.
    visible = Execution.objects.visible_to(user, row_by_row=True)
    failing_qs = visible.filter(is_failing=True, remote_updated_at__gte=now - WINDOW)
    failing = list(failing_qs.order_by("-remote_updated_at", "-id").only(*_LIST_FIELDS)[:LIST_LIMIT])
    running_qs = visible.filter(is_finished=False).exclude(status="")
    # Newest first along the index; an execution Plannr gave no creation time is counted, not listed.
    running = list(
        running_qs.filter(remote_created_at__isnull=False)
        .order_by("-remote_created_at", "-id")
        .only(*_LIST_FIELDS)[:LIST_LIMIT]
    )
    failing_count, running_count = _capped_counts(failing_qs, running_qs)
    # The full list of what is failing, grouped by cause: the open incidents (linked from "Failing now").
    open_incidents = Incident.objects.visible_to(user).filter(status=Status.OPEN).count()
    monitors = list(Monitor.objects.all())
    health = poll_health(now)
    fp = fingerprint(
        [(e.pk, e.version) for e in failing], failing_count,
        [(e.pk, e.version) for e in running], running_count,
        [(m.pk, m.updated_at, m.last_swept_at, m.lag_seconds, m.last_sweep_error) for m in monitors],
        health.scheduled, health.overdue, sorted(health.trouble.items()),
        [(c.pk, c.name, c.broken_since, c.broken_reason, c.expires_at) for c in health.attention],
        health.last_reported_poll, health.under_way,
        int(now.timestamp() // 60), open_incidents,
    )
    return Overview(failing, failing_count, running, running_count, monitors, health, fp, open_incidents)
