"""Small presentation helpers shared by the watchlist and execution pages."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from executions.failures import is_failure_status, is_running_status
from executions.models import TROUBLE_STATES, FailureKind, PollState

register = template.Library()


@register.filter
def status_kind(status):
    """The colour family of a status badge: a CSS modifier, never the raw status."""
    if not status:
        return "pending"
    if is_failure_status(status):
        return "failed"
    if is_running_status(status):
        return "running"
    if status.strip().lower() == "completed":
        return "done"
    return "other"


@register.filter
def status_text(status):
    return status.replace("_", " ") if status else "not polled yet"


@register.filter
def is_not_found(poll_state):
    return poll_state == PollState.NOT_FOUND


@register.filter
def poll_trouble(poll_state):
    return poll_state in TROUBLE_STATES


@register.filter
def step_kind(step):
    """failed / hidden / running / done / other, for a Step row."""
    if step.failure_kind == FailureKind.FAILED:
        return "failed"
    if step.failure_kind == FailureKind.HIDDEN:
        return "hidden"
    return status_kind(step.status)


_ICONS = {"failed": "✗", "hidden": "⚠", "running": "◔", "done": "✓", "pending": "○", "other": "•"}


@register.filter
def step_icon(kind):
    return _ICONS.get(kind, "•")


@register.filter
def step_name(step_json):
    """The name in a stored next/previous step, tolerant of odd shapes."""
    if isinstance(step_json, dict):
        return str(step_json.get("name") or "")
    return ""


def short_duration(seconds):
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def duration(value):
    if value is None:
        return ""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return short_duration(value)


def relative_text(when, now=None):
    """"12 s ago" / "in 5 min": the same wording static/js/app.js keeps fresh."""
    now = now or timezone.now()
    delta = (now - when).total_seconds()
    if abs(delta) < 2:
        return "just now"
    text = short_duration(delta).split(" ")
    # Only the largest unit: "5 min ago", not "5 min 3 s ago".
    text = " ".join(text[:2])
    return f"{text} ago" if delta > 0 else f"in {text}"


def _time_tag(value, empty, *, relative, now=None, due=False):
    """<time> for a datetime (or ISO string): relative text kept fresh by app.js, or absolute.

    `now`: the moment the relative wording is measured from (default: this one).
    """
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        return format_html('<span class="muted">{}</span>', empty)
    local = timezone.localtime(value)
    if relative:
        text = relative_text(value, now)
        if due and (value - (now or timezone.now())).total_seconds() < 2:
            text = "due now"
        mark = ' data-relative="due"' if due else " data-relative"
        return format_html(
            '<time datetime="{}" title="{}"' + mark + '>{}</time>',
            value.isoformat(), f"{local:%d %b %Y, %H:%M:%S %Z} ({local.tzinfo})", text,
        )
    # The zone is named on every absolute time: each user sees their own (accounts.middleware).
    return format_html(
        '<time datetime="{}" title="{} ({})">{}</time>',
        value.isoformat(), relative_text(value, now), local.tzinfo, local.strftime("%d %b %Y, %H:%M:%S %Z"),
    )


@register.simple_tag
def reltime(value, empty="never"):
    return _time_tag(value, empty, relative=True)


@register.simple_tag
def duetime(value, empty="never"):
    """When something is due ("next poll"): "in 5 s", and "due now" once that is past, never "2 s ago"."""
    return _time_tag(value, empty, relative=True, due=True)


@register.simple_tag
def abstime(value, empty="—", now=None):
    """An absolute time; its tooltip says how long ago, measured from `now` when given
    (a cached fragment is keyed by that wording: ui/steps.py)."""
    return _time_tag(value, empty, relative=False, now=now)


@register.simple_tag(takes_context=True)
def sort_query(context, key):
    """The query string that sorts by `key`, toggling direction if already sorted by it."""
    params = context["params"]
    current = params.sort
    new = f"-{key}" if current == key else key
    return _with_mark(params.query_string(sort=new, page=1))


@register.simple_tag(takes_context=True)
def sort_state(context, key):
    current = context["params"].sort
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current watchlist query ("?..." or "") with some values changed."""
    return _with_mark(context["params"].query_string(**changes))


def _with_mark(query_string):
    return f"?{query_string}" if query_string else ""


@register.simple_tag
def chip_count(counts, chip):
    """How many rows a table's filter chip (ui.table.Filter) keeps."""
    return counts.by_filter.get(chip.key, 0)
