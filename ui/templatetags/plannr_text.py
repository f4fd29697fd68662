"""Template filters for text from Plannr (executions/text.py holds the rules).

    {% load plannr_text %}
    {{ e.name|isolate }}              <bdi>: its bidi controls cannot reorder what follows
    {% block title %}{{ e.name|strip_bidi }}{% endblock %}
    {% with c=step.info|cut %}{{ c.text }}{% if c.was_cut %}…{% endif %}{% endwith %}
"""

from django import template
from django.utils.html import format_html

from executions import text

register = template.Library()


@register.filter
def isolate(value):
    """The value, escaped, in a <bdi> element; nothing for an empty value."""
    if value is None or value == "":
        return ""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def strip_bidi(value):
    return text.strip_bidi(value)


@register.filter
def cut(value, limit=text.PAGE_TEXT_LIMIT):
    return text.cut(value, int(limit))
