"""Occurrence counts over time for the sparklines and the incident chart: one query per page."""

from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncHour

from .models import Occurrence

HOURS = 24
DAYS = 7


def _hour(value):
    return value.replace(minute=0, second=0, microsecond=0)


def hourly_counts(incident_ids, now, hours):
    """{incident_id: {hour: count}} for the last `hours` hours, in one grouped query."""
    start = _hour(now) - timedelta(hours=hours - 1)
    rows = (
        Occurrence.objects.filter(incident_id__in=list(incident_ids), detected_at__gte=start)
        .annotate(hour=TruncHour("detected_at"))
        .values_list("incident_id", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {}
    for incident_id, hour, n in rows:
        counts.setdefault(incident_id, {})[hour] = n
    return counts, start


def sparklines(incident_ids, now):
    """{incident_id: {"day": [24 hourly counts], "week": [7 daily counts]}}."""
    counts, start = hourly_counts(incident_ids, now, HOURS * DAYS)
    day_start = _hour(now) - timedelta(hours=HOURS - 1)
    result = {}
    for incident_id in incident_ids:
        mine = counts.get(incident_id, {})
        hourly = [mine.get(start + timedelta(hours=h), 0) for h in range(HOURS * DAYS)]
        result[incident_id] = {
            "day": [mine.get(day_start + timedelta(hours=h), 0) for h in range(HOURS)],
            "week": [sum(hourly[d * HOURS:(d + 1) * HOURS]) for d in range(DAYS)],
        }
    return result


def timeline(incident_id, now, hours=HOURS * DAYS):
    """[[unix seconds...], [counts...]] per hour over the last `hours`, uPlot's data shape."""
    counts, start = hourly_counts([incident_id], now, hours)
    mine = counts.get(incident_id, {})
    stamps = [start + timedelta(hours=h) for h in range(hours)]
    return [[int(s.timestamp()) for s in stamps], [mine.get(s, 0) for s in stamps]]
