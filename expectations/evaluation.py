"""One evaluation of every accepted expectation, from stored rows only (no Plannr request).

The number of queries does not grow with the expectations or the executions: one read
each of the expectations, the monitors, the executions created inside the widest volume
window, the running executions past the shortest deadline, and the open breach incidents
(expectations/breaches.py); then one UPDATE for `last_checked` and one for the states that
changed. Only a change of breach (an incident to open, regress or resolve) costs more, per
change.
"""

import bisect
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from executions.models import Execution
from monitors.models import Monitor

from . import breaches, hours
from .coverage import coverage
from .models import Expectation, Kind, State


@dataclass
class Verdict:
    expectation: Expectation
    state: str
    reason: str
    # Volume: the executions counted and since when; deadline: the late executions.
    count: int = 0
    since: object = None
    late: list = field(default_factory=list)

    @property
    def breached(self):
        return self.state == State.BREACHED


def _clock(when, expectation):
    return hours.local_time(when, expectation.time_zone).strftime("%H:%M")


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def judge(expectation, monitors, created_by_name, running, now):
    """The verdict on one expectation, from rows already read."""
    cover = coverage(monitors, expectation.connection_id, expectation.blueprint_uuid, expectation.blueprint_name, now)
    if not cover.watched:
        if cover.in_maintenance:
            until = f"{cover.since:%Y-%m-%d} {_clock(cover.since, expectation)} {expectation.time_zone}"
            return Verdict(expectation, State.QUIET, f"Quiet: {cover.reason} until {until}.")
        return Verdict(expectation, State.NOT_WATCHED, f"Not watched: {cover.reason}.")
    try:
        open_now, opened = hours.opening(expectation.hours, expectation.time_zone, now)
    except hours.HoursError as exc:
        return Verdict(expectation, State.NOT_WATCHED, f"Not watched: {exc}")
    if not open_now:
        return Verdict(
            expectation, State.QUIET,
            f"Quiet: outside business hours ({expectation.hours} {expectation.time_zone}).",
        )
    if expectation.kind == Kind.DEADLINE:
        return _judge_deadline(expectation, running, now)
    return _judge_volume(expectation, created_by_name, now, [t for t in (opened, cover.since) if t])


def _judge_volume(expectation, created_by_name, now, starts):
    window = timedelta(minutes=expectation.within_minutes)
    since = max([now - window, *starts])
    created = created_by_name.get(_blueprint(expectation), [])
    count = len(created) - bisect.bisect_left(created, since)
    expected = f"expected at least {expectation.at_least} per {_per(expectation)}"
    if count >= expectation.at_least:
        return Verdict(
            expectation, State.OK, f"{_plural(count, 'execution')} since {_clock(since, expectation)}, {expected}.",
            count, since,
        )
    if now - since < window:
        # Not a whole window yet (hours just opened, a monitor just started): no verdict on silence.
        return Verdict(
            expectation, State.OK,
            f"{_plural(count, 'execution')} since {_clock(since, expectation)}; a full window ends at "
            f"{_clock(since + window, expectation)}.",
            count, since,
        )
    return Verdict(
        expectation, State.BREACHED, f"{_plural(count, 'execution')} since {_clock(since, expectation)}, {expected}",
        count, since,
    )


def _per(expectation):
    return expectation.rule_text().split(" per ", 1)[1].split(",")[0]


def _judge_deadline(expectation, running, now):
    limit = timedelta(minutes=expectation.finish_within_minutes)
    late = [e for e in running.get(_blueprint(expectation), []) if now - e.remote_created_at > limit]
    if not late:
        return Verdict(expectation, State.OK, f"No execution running longer than {expectation.finish_within_minutes} min.")
    return Verdict(
        expectation, State.BREACHED,
        f"{_plural(len(late), 'execution')} not finished within {expectation.finish_within_minutes} min",
        late=late,
    )


def _blueprint(expectation):
    """What the rows are keyed by: a blueprint's executions are those of its connection only."""
    return (expectation.connection_id, expectation.blueprint_name)


def read_rows(expectations, now):
    """The executions every verdict needs, in two queries: volume windows and running ones.

    Both are keyed by (connection id, blueprint name): each query reads the expectations'
    names in their connections, and a row of a name in another of those connections is
    dropped here rather than costing a query per connection.
    """
    volume = [e for e in expectations if e.kind == Kind.VOLUME]
    created_by_name = {}
    if volume:
        wanted = {_blueprint(e) for e in volume}
        earliest = now - timedelta(minutes=max(e.within_minutes for e in volume))
        rows = (
            Execution.objects.filter(
                name__in={name for _, name in wanted}, connection_id__in={c for c, _ in wanted},
                remote_created_at__gte=earliest, remote_created_at__lte=now,
            )
            .order_by("remote_created_at")
            .values_list("connection_id", "name", "remote_created_at")
        )
        for connection_id, name, created in rows:
            if (connection_id, name) in wanted:
                created_by_name.setdefault((connection_id, name), []).append(created)
    running = {}
    deadlines = [e for e in expectations if e.kind == Kind.DEADLINE]
    if deadlines:
        wanted = {_blueprint(e) for e in deadlines}
        latest = now - timedelta(minutes=min(e.finish_within_minutes for e in deadlines))
        rows = Execution.objects.filter(
            is_finished=False, remote_created_at__lt=latest,
            name__in={name for _, name in wanted}, connection_id__in={c for c, _ in wanted},
        ).exclude(status="").only(
            "id", "connection_id", "name", "remote_created_at", "account_uuid", "account_name", "status"
        )
        for execution in rows.order_by("remote_created_at", "id"):
            key = (execution.connection_id, execution.name)
            if key in wanted:
                running.setdefault(key, []).append(execution)
    return created_by_name, running


def evaluate(now=None):
    """Check every accepted expectation now; record states and breaches. Returns the verdicts."""
    now = now or timezone.now()
    expectations = list(Expectation.objects.accepted())
    if not expectations:
        return []
    monitors = list(Monitor.objects.all())
    created_by_name, running = read_rows(expectations, now)
    verdicts = [judge(e, monitors, created_by_name, running, now) for e in expectations]
    with transaction.atomic():
        breaches.record(verdicts, now)
        _save(verdicts, now)
    return verdicts


def _save(verdicts, now):
    """`last_checked` for all in one UPDATE; state and reason only where the state changed.

    The reason is the one given when the state changed (the breach's message, why it is
    quiet): rewriting it at every check, for counts that move every minute, would cost
    writes that grow with the expectations. Pages show a fresh verdict (`judge_now`).
    """
    Expectation.objects.filter(pk__in=[v.expectation.pk for v in verdicts]).update(last_checked=now)
    changed = []
    for verdict in verdicts:
        expectation = verdict.expectation
        expectation.last_checked = now
        if expectation.state != verdict.state:
            expectation.state, expectation.reason = verdict.state, verdict.reason[:500]
            changed.append(expectation)
    if changed:
        Expectation.objects.bulk_update(changed, ["state", "reason"])
