"""An audit row's before/after values as people read them: "method: password", not a
Python dict (`{'method': 'password'}`)."""

import json

from django import template

register = template.Library()


def _text(value):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value) if value != "" else "(empty)"


@register.filter
def details(value):
    """[(key, text)] for a dict, in its order; [("", text)] for any other value."""
    if isinstance(value, dict):
        return [(str(key).replace("_", " "), _text(v)) for key, v in value.items()]
    return [("", _text(value))]
