"""Report periods: an ISO week (Monday to Sunday) or a calendar month, in the project's TIME_ZONE.

The days are the same calendar days `monitors.daycounts` counts in, so a period's live and
pruned counts line up. `--end` names any day of the period; by default the last full one
(on a Monday or the 1st, the one that ended yesterday), which is what Monday's and the 1st's emails send.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from monitors.daycounts import project_zone

KINDS = ("week", "month")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # the last day, inclusive

    @property
    def days(self):
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def bounds(self):
        """[first instant, instant after the last day) in the project's zone."""
        zone = project_zone()
        return (datetime.combine(self.start, time(), zone),
                datetime.combine(self.end + timedelta(days=1), time(), zone))

    @property
    def label(self):
        if self.kind == "month":
            return self.start.strftime("%B %Y")
        return f"week {self.start.isocalendar()[1]} of {self.start.isocalendar()[0]}: " \
               f"{self.start:%d %b} to {self.end:%d %b %Y}"

    @property
    def slug(self):
        return f"{self.kind}-{self.start.isoformat()}"


def containing(kind, day):
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last))
    raise ValueError(f"period must be one of {', '.join(KINDS)}, not {kind!r}")


def last_full(kind, now=None):
    """The last period that ended before today (in the project's zone): on a Monday or the
    1st, the one that ended yesterday."""
    today = timezone.localtime(now or timezone.now(), project_zone()).date()
    current = containing(kind, today)
    return containing(kind, current.start - timedelta(days=1))
