"""Incident figures for a period, from the incidents' status history (never pruned).

An *episode* is an incident from its opening (creation, or leaving `resolved`/`ignored`
again: a regression) to the status change that resolves or ignores it. For a period:
- opened: episodes that began in it; resolved: episodes that ended `resolved` in it;
- time to acknowledge: from an episode's start to its first `acknowledged`, for episodes
  acknowledged in the period; time to resolve: start to `resolved`, for episodes resolved
  in it; the median and the worst of each;
- missing windows: episodes of `missing` incidents (an expectation's volume) begun in it;
- longest broken: the longest stretch of the period in which the blueprint had an episode
  going (episodes merged, clipped to the period, an unfinished one running to now).
"""

import statistics
from dataclasses import dataclass, field

from django.db.models import Q

from executions.models import FailureKind
from incidents.models import Incident, Status, StatusChange

ENDS = (Status.RESOLVED, Status.IGNORED)


@dataclass
class Episode:
    start: object
    acknowledged: object = None
    end: object = None
    resolved: bool = False


@dataclass
class IncidentFigures:
    opened: int = 0
    resolved: int = 0
    missing: int = 0
    to_acknowledge: list = field(default_factory=list)  # seconds
    to_resolve: list = field(default_factory=list)
    longest_broken: float = 0.0  # seconds
    intervals: list = field(default_factory=list)


def episodes(incident, changes):
    """The incident's episodes, from its creation and its ordered status changes."""
    current = Episode(incident.first_seen)
    found = [current]
    for change in changes:
        if current is None:
            if change.to_status not in ENDS:
                current = Episode(change.at)
                found.append(current)
            continue
        if change.to_status == Status.ACKNOWLEDGED and current.acknowledged is None:
            current.acknowledged = change.at
        elif change.to_status in ENDS:
            current.end = change.at
            current.resolved = change.to_status == Status.RESOLVED
            current = None
    return found


def figures(period_start, period_end, now):
    """{(blueprint_name, connection_id): IncidentFigures} for [period_start, period_end)."""
    incidents = list(
        Incident.objects.filter(first_seen__lt=period_end)
        .filter(Q(status_changed_at__gte=period_start) | ~Q(status__in=ENDS))
        .only("pk", "blueprint_name", "connection_id", "family", "first_seen")
    )
    history = {}
    for change in StatusChange.objects.filter(incident__in=[i.pk for i in incidents], at__lt=period_end).order_by(
        "at", "id"
    ):
        history.setdefault(change.incident_id, []).append(change)
    result = {}
    for incident in incidents:
        entry = result.setdefault((incident.blueprint_name, incident.connection_id), IncidentFigures())
        for episode in episodes(incident, history.get(incident.pk, [])):
            if period_start <= episode.start < period_end:
                entry.opened += 1
                entry.missing += incident.family == FailureKind.MISSING
            if episode.acknowledged and period_start <= episode.acknowledged < period_end:
                entry.to_acknowledge.append((episode.acknowledged - episode.start).total_seconds())
            if episode.resolved and period_start <= episode.end < period_end:
                entry.resolved += 1
                entry.to_resolve.append((episode.end - episode.start).total_seconds())
            begin, finish = max(episode.start, period_start), min(episode.end or now, period_end, now)
            if finish > begin:
                entry.intervals.append((begin, finish))
    for entry in result.values():
        entry.longest_broken = longest(entry.intervals)
    return result


def longest(intervals):
    """The longest stretch covered by the union of (start, end) intervals, in seconds."""
    best = 0.0
    run_start = run_end = None
    for start, end in sorted(intervals):
        if run_end is None or start > run_end:
            if run_end is not None:
                best = max(best, (run_end - run_start).total_seconds())
            run_start, run_end = start, end
        else:
            run_end = max(run_end, end)
    if run_end is not None:
        best = max(best, (run_end - run_start).total_seconds())
    return best


def median(values):
    return statistics.median(values) if values else None


def worst(values):
    return max(values) if values else None
