from django import template

from reports.formats import duration as _duration

register = template.Library()


@register.filter
def duration(minutes):
    """Minutes as "12 min" or "3.5 h"; "–" when there is nothing to measure."""
    return _duration(minutes)
