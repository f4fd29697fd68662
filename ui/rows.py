"""Table rows rendered once: each row's HTML is cached, keyed by what it shows.

A row's key is its entry in the page's key list (row id, versions, poll state),
the current time zone and the minute bucket (for the relative times inside). A
page fetches all its rows' HTML in one read of the "fragments" cache (each
process's memory: settings.CACHES); only the misses are rendered, from the plain
values fetched for them by id (ui/page.py). Used by every table of executions
(ui/table.py): its `row_template` and `row_link` say how.
"""

from urllib.parse import quote

from django.core.cache import caches
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from connections.models import Connection
from executions.models import PollState

from dashboard.htmx import fingerprint
from .page import LAST_POLLED_RESOLUTION, minute_bucket
from .table import DISPLAY_FIELDS
from .templatetags.execution_tags import poll_trouble, status_kind, status_text, step_name

# A key holds its minute, so an entry is useless after two of them.
ROW_CACHE_SECONDS = 2 * LAST_POLLED_RESOLUTION + 5
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
_POLL_LABELS = dict(PollState.choices)


def _url_parts(name):
    """A URL that takes an execution uuid, as (before, after): one reverse() per render, not per row."""
    return tuple(reverse(name, args=[_PLACEHOLDER]).split(_PLACEHOLDER))


def plain(html):
    """Rendered `html` as an exact str, to be cached: a SafeString is pickled as an object,
    five times slower to load."""
    return str.__str__(html)


def row_cache_key(table, key, tz, minute):
    return f"row:{table.name}:{fingerprint(key, tz, minute)}"


def rendered_rows(page):
    """The HTML of `page`'s rows, in order, as one string: one cache read, no query.

    One string, not one per row: the table's template shows it without a loop.
    """
    table = page.table
    tz, minute = timezone.get_current_timezone_name(), minute_bucket()
    cache_keys = [row_cache_key(table, key, tz, minute) for key in page.keys]
    cache = caches["fragments"]
    found = cache.get_many(cache_keys)
    missing = [key[0] for key, ck in zip(page.keys, cache_keys) if ck not in found]
    if missing:
        fresh = _render(table, page.values(missing))
        new = {ck: fresh[key[0]] for key, ck in zip(page.keys, cache_keys) if key[0] in fresh}
        cache.set_many(new, ROW_CACHE_SECONDS)
        found.update(new)
    # A row deleted since the page's keys were read has no values and shows nothing.
    return mark_safe("".join([found.get(ck, "") for ck in cache_keys]))


def _render(table, rows):
    template = get_template(table.row_template)
    urls = {"url": _url_parts(table.row_link), "incident_url": _url_parts("incidents:for_execution")}
    # "/blueprints/": a blueprint's page is its connection's id, then its name (expectations/urls.py).
    blueprint = reverse("expectations:blueprint", args=[1, "x"])[: -len("1/x")]
    # Rows name their connection only when there are several (one small query per render
    # of missed rows; a row cached before a second connection came shows it within a minute).
    names = dict(Connection.objects.values_list("pk", "name"))
    html = {}
    for values in rows:
        row = row_values(table, values, urls)
        row["connection_name"] = names.get(row["connection_id"], "") if len(names) > 1 else ""
        row["blueprint_url"] = f"{blueprint}{row['connection_id']}/{quote(row['name'])}" if row["name"] else ""
        html[values["id"]] = plain(template.render({"row": row}))
    return html


def row_values(table, values, urls):
    """Plain values for one row: everything the row template shows, computed here."""
    e = {n: values[table.f(n)] for n in DISPLAY_FIELDS}
    uuid = str(e["uuid"])
    kind = status_kind(e["status"])
    if e["name"]:
        title = e["name"]
    elif e["poll_state"] == PollState.NOT_FOUND:
        title = "(not found in Plannr)"
    elif e["last_polled_at"]:
        title = "(no name)"
    else:
        title = "(not polled yet)"
    # A broken connection's executions are waiting for it: that, not Plannr's refusal, is their state.
    broken_since = values.get(table.f("connection__broken_since"))
    trouble = poll_trouble(e["poll_state"]) and broken_since is None
    poll_label = _POLL_LABELS.get(e["poll_state"], e["poll_state"])
    return {
        **e,
        "dom_id": f"{table.name}-{values['id']}",
        "uuid": uuid,
        **{key: f"{before}{uuid}{after}" for key, (before, after) in urls.items()},
        "title": title,
        "status_kind": kind,
        "status_text": status_text(e["status"]) if e["status"] or not e["last_polled_at"] else "no status",
        "failing_badge": e["is_failing"] and kind != "failed",
        "next_name": step_name(e["next_step"]),
        "poll_trouble": trouble,
        "connection_broken_since": broken_since,
        "poll_label": poll_label,
        "poll_title": e["last_poll_error"] or poll_label,
        "polling": values.get("polling", False),
        "has_label": bool(table.label),
        "label": values.get(table.label, "") if table.label else "",
    }
