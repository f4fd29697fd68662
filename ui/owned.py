"""The one view helper for a table of executions: its context, and its live partial.

Every page with a table (the watchlist, a monitor's, an incident's and a blueprint's
executions) renders `ui/_table.html` from `table_context`, and its rows URL answers
with `live_table`: a timed refresh (`known`, the fingerprint it shows) gets 204 when
nothing changed; a reload after the user's own change (`fresh`) counts afresh; any
other request is the user's filter, sort or page change, and the address bar follows.

The chips, head and pager change far less often than the rows: each is cached (the
"fragments" cache, each process's memory) under a key made here of everything it
shows: the table, its URLs, the params and, for the chips and pager, the counts.
"""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse

from dashboard.htmx import fingerprint, push_url, refresh_context, unchanged
from .page import table_page
from .params import Params
from .rows import rendered_rows

TEMPLATE = "ui/_table.html"


def page_of(table, owner, user, params, refresh=False):
    """The page of `owner`'s rows in `table` that `params` asks for, as `user` may see them."""
    return table_page(table.rows(owner, user), table, params, table.counts_key(owner, user), refresh=refresh)


@dataclass(frozen=True)
class FragmentKeys:
    chips: str
    head: str
    pager: str


def fragment_keys(data, page_url, rows_url):
    where = (data.table.name, page_url, rows_url, data.params)
    p = data.pagination
    return FragmentKeys(
        chips=fingerprint("chips", *where, data.counts.key()),
        head=fingerprint("head", *where),
        pager=fingerprint("pager", *where, p.number, p.num_pages, p.total, p.size),
    )


def table_context(request, table, owner, *, refresh=False, rows=True):
    """What `ui/_table.html` needs; `rows=False` leaves the rows' HTML out (see live_table)."""
    data = page_of(table, owner, request.user, Params.from_query(request.GET), refresh=refresh)
    args = table.url_args(owner)
    page_url, rows_url = reverse(table.page_url, args=args), reverse(table.rows_url, args=args)
    context = {
        "table": table,
        "data": data,
        "params": data.params,
        "page_url": page_url,
        "rows_url": rows_url,
        "fragments": fragment_keys(data, page_url, rows_url),
        **refresh_context(),
    }
    if rows:
        context["rows"] = rendered_rows(data)
    return context


def live_table(request, table, owner):
    """The table's live partial, or 204 when the refresh already shows it."""
    known, fresh = request.GET.get("known"), request.GET.get("fresh")
    context = table_context(request, table, owner, refresh=bool(known) and not fresh, rows=False)
    if not_modified := unchanged(request, context["data"].fingerprint):
        return not_modified
    # The rows' HTML is read only now: a refresh that answers 204 never needs it.
    context["rows"] = rendered_rows(context["data"])
    response = render(request, TEMPLATE, context)
    if not (known or fresh):
        query = context["params"].query_string()
        push_url(request, response, context["page_url"] + (f"?{query}" if query else ""))
    return response
