"""A monitor's executions as a page: the watchlist's filters, search, sort and paging.

Rows are `Finding`s with their executions, so the status filters and counts are
the watchlist's own (`executions.watchlist`: StatusCounts, Pagination and the
filter names) over `execution__` fields. The query budget is the watchlist's
too: one grouped count, one narrow query for the page's keys (the fingerprint),
one to load the rows, plus a count when searching.

The default sort is failing first: failing executions, then running ones, then
the rest, newest found first within each group. It is read group by group (at
most three narrow queries, sizes taken from the grouped count), each in the
(monitor, found_at) index's order, so a page costs the same with 100,000 rows
as with 100. A live refresh reuses counts up to one refresh interval old, as
the watchlist does.
"""

import functools
import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, F, IntegerField, Q, Value, When

from dashboard.htmx import fingerprint
from executions.watchlist import (
    FAILING,
    NOT_POLLED,
    TROUBLE,
    TROUBLE_STATES,
    LAST_POLLED_RESOLUTION,
    SEARCH_MAX,
    Pagination,
    StatusCounts,
)

from .models import Finding

SORTS = {
    "failing": ("Failing first", []),
    "found": ("Found", ["found_at"]),
    "status": ("Status", ["execution__status"]),
    "name": ("Execution", ["execution__name"]),
    "client": ("Client", ["execution__account_name"]),
    "progress": ("Progress", ["execution__steps_done", "execution__steps_count"]),
    "polled": ("Last polled", ["execution__last_polled_at"]),
}
DEFAULT_SORT = "failing"
_NULLABLE = {"execution__last_polled_at"}


@dataclass(frozen=True)
class Params:
    status: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def from_query(cls, query):
        sort = query.get("sort", DEFAULT_SORT)
        if sort.lstrip("-") not in SORTS or sort == f"-{DEFAULT_SORT}":
            sort = DEFAULT_SORT
        try:
            page = max(1, int(query.get("page", 1)))
        except (TypeError, ValueError):
            page = 1
        return cls(
            status=query.get("status", "")[:100],
            q=" ".join(query.get("q", "").split())[:SEARCH_MAX],
            sort=sort,
            page=page,
        )

    def query_string(self, **changes):
        values = {"status": self.status, "q": self.q, "sort": self.sort, "page": self.page}
        values.update(changes)
        if values["sort"] in (DEFAULT_SORT, f"-{DEFAULT_SORT}"):
            values["sort"] = ""
        if values["page"] == 1:
            values["page"] = ""
        return urlencode({k: v for k, v in values.items() if v})


@dataclass
class ExecutionsPage:
    params: Params
    counts: StatusCounts
    pagination: Pagination
    ids: list
    fingerprint: str

    @functools.cached_property
    def rows(self):
        """The page's findings with their executions, in order: one query."""
        if not self.ids:
            return []
        by_id = Finding.objects.select_related("execution").defer(
            "execution__previous_step", "execution__payload_hash", "execution__claim_token"
        ).in_bulk(self.ids)
        return [by_id[i] for i in self.ids if i in by_id]


def _status_q(status_filter):
    if not status_filter:
        return Q()
    if status_filter == FAILING:
        return Q(execution__is_failing=True)
    if status_filter == TROUBLE:
        return Q(execution__poll_state__in=TROUBLE_STATES)
    if status_filter == NOT_POLLED:
        return Q(execution__status="")
    return Q(execution__status=status_filter)


def _search_q(text):
    q = Q()
    for term in text.split():
        q &= (
            Q(execution__uuid__icontains=term)
            | Q(execution__name__icontains=term)
            | Q(execution__account_name__icontains=term)
            | Q(execution__triggered_by__icontains=term)
        )
    return q


# Failing first: the groups in order, each newest found first.
_GROUPS = [
    ("failing", Q(execution__is_failing=True)),
    ("running", Q(execution__is_failing=False, execution__is_finished=False)),
    ("rest", Q(execution__is_failing=False, execution__is_finished=True)),
]
_NEWEST_FOUND = [F("found_at").desc(), F("id").desc()]


def _row_matches(row, status_filter):
    """Whether a grouped-count row passes the status filter (the same rules as _status_q)."""
    if not status_filter:
        return True
    if status_filter == FAILING:
        return row["execution__is_failing"]
    if status_filter == TROUBLE:
        return row["execution__poll_state"] in TROUBLE_STATES
    if status_filter == NOT_POLLED:
        return row["execution__status"] == ""
    return row["execution__status"] == status_filter


def _group_of(row):
    if row["execution__is_failing"]:
        return "failing"
    return "rest" if row["execution__is_finished"] else "running"


def _ordering(sort):
    if sort == DEFAULT_SORT:
        return ["failing_group", *_NEWEST_FOUND]
    descending = sort.startswith("-")
    order = []
    for f in SORTS[sort.lstrip("-")][1]:
        expression = F(f)
        if f in _NULLABLE:
            order.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
        else:
            order.append(expression.desc() if descending else expression.asc())
    order.append(F("id").desc() if descending else F("id").asc())
    return order


def _failing_group():
    return Case(
        When(execution__is_failing=True, then=Value(0)),
        When(execution__is_finished=False, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _counts_key(monitor):
    return f"monitor:counts:{monitor.pk}"


def status_counts(monitor, *, cached=False):
    """Every count the page shows, from one grouped query; a refresh (`cached`) may reuse
    a result up to UI_REFRESH_SECONDS old."""
    if cached:
        counts = cache.get(_counts_key(monitor))
        if counts is not None:
            return counts
    counts = _count(monitor)
    cache.set(_counts_key(monitor), counts, settings.UI_REFRESH_SECONDS)
    return counts


def _count(monitor):
    groups = list(
        Finding.objects.filter(monitor=monitor)
        .values(
            "execution__status", "execution__is_failing", "execution__poll_state", "execution__is_finished"
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = StatusCounts(groups=groups)
    by_status = {}
    for g in groups:
        counts.total += g["n"]
        if g["execution__is_failing"]:
            counts.failing += g["n"]
        if g["execution__poll_state"] in TROUBLE_STATES:
            counts.trouble += g["n"]
        if g["execution__status"] == "":
            counts.not_polled += g["n"]
        else:
            by_status[g["execution__status"]] = by_status.get(g["execution__status"], 0) + g["n"]
    counts.by_status = sorted(by_status.items(), key=lambda item: (-item[1], item[0]))
    return counts


_KEY_FIELDS = (
    "id", "found_at", "execution_id", "execution__version", "execution__updated_at", "execution__poll_state",
)


def _keys_by_group(qs, counts, status_filter, offset, size):
    """The page's keys in failing-first order, one narrow query per group the page spans."""
    sizes = {name: 0 for name, _ in _GROUPS}
    for row in counts.groups:
        if _row_matches(row, status_filter):
            sizes[_group_of(row)] += row["n"]
    keys, start = [], 0
    for name, q in _GROUPS:
        end = start + sizes[name]
        # A group wholly before this page is skipped. Counts may be one refresh old, so a
        # group counted empty that starts on or after the page is still read.
        if len(keys) < size and (end > offset or start >= offset):
            local = max(0, offset - start)
            take = size - len(keys)
            keys += qs.filter(q).order_by(*_NEWEST_FOUND).values_list(*_KEY_FIELDS)[local : local + take]
        start = end
    return keys


def executions_page(monitor, params, page_size=None, refresh=False):
    """The page of a monitor's executions that `params` asks for, fingerprinted."""
    size = page_size or settings.WATCHLIST_PAGE_SIZE
    counts = status_counts(monitor, cached=refresh)
    qs = Finding.objects.filter(monitor=monitor).filter(_status_q(params.status))
    if params.q:
        qs = qs.filter(_search_q(params.q))
        total = qs.count()
    else:
        total = counts.matching(params.status)
    num_pages = max(1, math.ceil(total / size))
    number = min(params.page, num_pages)
    offset = (number - 1) * size
    if params.sort == DEFAULT_SORT and not params.q:
        keys = _keys_by_group(qs, counts, params.status, offset, size)
    else:
        if params.sort == DEFAULT_SORT:
            qs = qs.annotate(failing_group=_failing_group())
        keys = list(qs.order_by(*_ordering(params.sort)).values_list(*_KEY_FIELDS)[offset : offset + size])
    fp = fingerprint(
        monitor.pk, params.status, params.q, params.sort, number, num_pages, total, counts.key(), keys,
        int(time.time() // LAST_POLLED_RESOLUTION),
    )
    return ExecutionsPage(
        params=params,
        counts=counts,
        pagination=Pagination(number=number, num_pages=num_pages, total=total, size=size),
        ids=[k[0] for k in keys],
        fingerprint=fp,
    )
