"""Business hours: "mon-fri 08:00-18:00", "mon,wed,fri 09:00-17:30", "daily 07:00-19:00".

One range of days (or a list) and one time range per expectation, in its time zone.
"""

import re
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_PATTERN = re.compile(r"^\s*([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
EXAMPLE = 'e.g. "mon-fri 08:00-18:00"'


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class Hours:
    days: frozenset  # weekday numbers, Monday 0
    start: time
    end: time

    def open_at(self, local):
        """The opening time of the business day `local` (an aware local datetime) falls in, or None."""
        if local.weekday() not in self.days:
            return None
        opening = local.replace(hour=self.start.hour, minute=self.start.minute, second=0, microsecond=0)
        closing = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        return opening if opening <= local < closing else None


def zone(name):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"Unknown time zone {name!r}: use a name like Europe/London.") from None


def parse(text):
    """An `Hours`, or HoursError with a message saying what is wrong."""
    match = _PATTERN.match((text or "").lower())
    if not match:
        raise HoursError(f"Business hours {text!r} not understood: {EXAMPLE}.")
    days_text, h1, m1, h2, m2 = match.groups()
    days = set()
    for part in days_text.split(","):
        if part == "daily":
            days.update(range(7))
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError(f"Unknown day in {text!r}: use {', '.join(DAYS)} or daily ({EXAMPLE}).")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    try:
        start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
    except ValueError:
        raise HoursError(f"Not a time of day in {text!r} ({EXAMPLE}).") from None
    if start >= end:
        raise HoursError(f"Business hours must end after they start: {text!r} ({EXAMPLE}).")
    return Hours(frozenset(days), start, end)


def opening(hours_text, time_zone, now):
    """(is it business hours at `now`, when today's hours opened, in UTC) for an expectation.

    No hours: always open, from the beginning of time (None).
    """
    if not hours_text:
        return True, None
    local = now.astimezone(zone(time_zone))
    opened = parse(hours_text).open_at(local)
    if opened is None:
        return False, None
    return True, opened.astimezone(now.tzinfo)


def local_time(when, time_zone):
    return when.astimezone(zone(time_zone))


