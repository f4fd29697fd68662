"""Learned suggestions: a volume expectation proposed from a blueprint's own history.

Per Plannr connection (a blueprint belongs to one account): from the connection's executions
still stored (the last `HISTORY_DAYS`), counted per weekday and hour
of creation in the suggestion's time zone, and `BlueprintDay` (pruned days, daily counts
only) to tell whether a weekday is usually active. The business hours are the weekdays
active in at least half the weeks seen and the hours usually active on them; the volume
asked for is the usual (median) hourly count in those hours less `MARGIN`, at least 1.
A suggestion is stored with `suggested=True`: shown, never evaluated, until an Admin
accepts it (as it is, or edited).
"""

import statistics
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

import audit
from executions.models import Execution
from monitors.models import BlueprintDay

from . import hours as business_hours
from .models import Expectation, Kind

HISTORY_DAYS = 28
MIN_EXECUTIONS = 20
# The suggestion asks for the usual count less this share: a quiet hour is not a breach.
MARGIN = 0.5


class NoSuggestion(ValueError):
    pass


def _day_list(days):
    names = business_hours.DAYS
    days = sorted(days)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
        return f"{names[days[0]]}-{names[days[-1]]}"
    return ",".join(names[d] for d in days)


def learn(connection, blueprint_name, time_zone, now):
    """(at_least per hour, hours text, how it was learned) from the connection's history, or NoSuggestion."""
    zone = business_hours.zone(time_zone)
    since = now - timedelta(days=HISTORY_DAYS)
    created = list(
        Execution.objects.filter(
            connection=connection, name=blueprint_name, remote_created_at__gte=since, remote_created_at__lt=now
        ).values_list("remote_created_at", flat=True)
    )
    pruned = dict(
        BlueprintDay.objects.filter(connection=connection, blueprint_name=blueprint_name, day__gte=since.date())
        .values_list("day", "executions")
    )
    if len(created) + sum(pruned.values()) < MIN_EXECUTIONS:
        raise NoSuggestion(
            f"Not enough history to learn from: {len(created) + sum(pruned.values())} executions in the last "
            f"{HISTORY_DAYS} days (at least {MIN_EXECUTIONS} needed)."
        )
    per_hour = defaultdict(int)  # (date, hour) -> count
    active_dates = set(d for d, n in pruned.items() if n)
    for when in created:
        local = when.astimezone(zone)
        per_hour[(local.date(), local.hour)] += 1
        active_dates.add(local.date())
    weeks = max(1, HISTORY_DAYS // 7)
    by_weekday = defaultdict(int)
    for date in active_dates:
        by_weekday[date.weekday()] += 1
    days = {d for d, n in by_weekday.items() if n >= weeks / 2}
    if not days:
        raise NoSuggestion("No weekday is active in at least half the weeks seen.")
    dates_of_day = [d for d in {k[0] for k in per_hour} if d.weekday() in days]
    hour_activity = defaultdict(int)
    for (date, hour) in per_hour:
        if date.weekday() in days:
            hour_activity[hour] += 1
    usual_hours = sorted(h for h, n in hour_activity.items() if n >= max(1, len(dates_of_day)) / 2)
    if not usual_hours:
        raise NoSuggestion("No hour is usually active.")
    first, last = usual_hours[0], usual_hours[-1]
    counts = [per_hour.get((date, hour), 0) for date in dates_of_day for hour in range(first, last + 1)]
    usual = statistics.median(counts) if counts else 0
    at_least = max(1, int(usual * (1 - MARGIN)))
    end = f"{last + 1:02d}:00" if last < 23 else "23:59"
    text = f"{_day_list(days)} {first:02d}:00-{end}"
    why = (
        f"usually {usual:g} an hour on {_day_list(days)} {first:02d}:00-{end} over {len(dates_of_day)} days; "
        f"asks for {at_least} ({int(MARGIN * 100)}% margin)"
    )
    return at_least, text, why


def suggest(connection, blueprint_uuid, blueprint_name, time_zone="Europe/London", now=None):
    """Store (replacing the blueprint's earlier one in that connection) a suggestion learned from the
    connection's own executions; NoSuggestion when history is too thin."""
    now = now or timezone.now()
    at_least, hours_text, why = learn(connection, blueprint_name, time_zone, now)
    with transaction.atomic():
        Expectation.objects.suggestions().filter(connection=connection, blueprint_uuid=blueprint_uuid).delete()
        return Expectation.objects.create(
            connection=connection, blueprint_uuid=blueprint_uuid, blueprint_name=blueprint_name, kind=Kind.VOLUME, at_least=at_least,
            within_minutes=60, hours=hours_text, time_zone=time_zone, suggested=True, reason=f"Learned: {why}.",
            name="Learned from history",
        )


def accept(expectation, by, *, at_least=None, within_minutes=None, hours=None):
    """An Admin accepts a suggestion, as it is or with edits; from then on it is checked."""
    if hours:
        business_hours.parse(hours)
    with transaction.atomic():
        expectation = Expectation.objects.select_for_update().get(pk=expectation.pk, suggested=True)
        expectation.at_least = at_least or expectation.at_least
        expectation.within_minutes = within_minutes or expectation.within_minutes
        expectation.hours = (hours if hours is not None else expectation.hours).strip().lower()
        expectation.suggested = False
        expectation.reason = ""
        expectation.created_by = by
        expectation.save()
        audit.record(
            "expectation.accept", actor=by, target=f"expectation:{expectation.pk}",
            after={"rule": expectation.rule_text()},
        )
    return expectation
