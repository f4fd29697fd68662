"""An execution's steps rendered once: each step's HTML is cached, keyed by what it shows.

The execution page's live region is cached whole per fingerprint (ui/execution.py, _live_html),
and every change to the execution (a poll that moved its status, or only its last-poll
time) makes a new one. Steps rarely change once run, so each step's <li> is also cached
on its own, under a key made of everything it shows:

- the step's own fields: uuid, name, status, failure kind, messages, info, time;
- the gap since the previous step's time ("2 min after the previous step");
- the execution's uuid (the link to a long info's full text);
- the viewer's time zone and language, and how long ago the step ran in the words its
  time's tooltip uses ("3 h ago", measured from the same `now` the fragment is rendered
  with): a fragment is good for as long as that wording holds, which for all but the
  last minute's steps is longer than a minute;
- the step template's source, so that a deploy changing it never serves the old markup.

A page reads its steps' fragments in one get_many; only the misses are rendered, from
the same rows, and stored with one set_many; the page gets them joined. Fragments live
in the "fragments" cache, each process's own memory (settings.CACHES).
"""

from collections import namedtuple

from django.core.cache import caches
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from dashboard.htmx import fingerprint
from .rows import plain
from .templatetags.execution_tags import relative_text

STEP_TEMPLATE = "executions/_step.html"
# Longer than the live region's two minutes: a step's key changes when what it shows does.
STEP_CACHE_SECONDS = 3600
# What a step's fragment shows of the step: its key and the template's `step`.
_FIELDS = ("uuid", "name", "status", "failure_kind", "messages", "info", "executed_at")

StepView = namedtuple("StepView", [*_FIELDS, "since_previous"])


def step_cache_keys(execution, rows, now):
    """(key, since_previous) for each of `execution`'s step rows (values of _FIELDS, in order)."""
    common = fingerprint(
        get_template(STEP_TEMPLATE).template.source,
        str(execution.uuid),
        timezone.get_current_timezone_name(),
        translation.get_language(),
    )
    out, previous = [], None
    for row in rows:
        executed_at = row[-1]
        since = executed_at - previous if executed_at is not None and previous is not None else None
        previous = executed_at
        ago = relative_text(executed_at, now) if executed_at is not None else ""
        out.append((f"step:{fingerprint(common, row, since, ago)}", since))
    return out


def rendered_steps(execution, now=None):
    """The HTML of `execution`'s steps, in order, as one string ("" without steps): one
    query, one cache read, and only the misses rendered."""
    rows = list(execution.steps.values_list(*_FIELDS))
    if not rows:
        return ""
    now = now or timezone.now()
    keyed = step_cache_keys(execution, rows, now)
    cache = caches["fragments"]
    found = cache.get_many([key for key, _ in keyed])
    missing = [i for i, (key, _) in enumerate(keyed) if key not in found]
    if missing:
        template = get_template(STEP_TEMPLATE)
        fresh = {}
        for i in missing:
            key, since = keyed[i]
            step = StepView(*rows[i], since)
            context = {"step": step, "execution_uuid": execution.uuid, "now": now}
            fresh[key] = plain(template.render(context))
        cache.set_many(fresh, STEP_CACHE_SECONDS)
        found.update(fresh)
    # One string for the page to show, not one per step: no per-step loop in its template.
    return mark_safe("".join([found[key] for key, _ in keyed]))
