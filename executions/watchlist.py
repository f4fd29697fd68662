"""The watchlist query: filter, search, sort, count and page one user's watches.

It is written to a fixed query budget whatever the number of watches: one
grouped aggregate gives every count the page shows (and the filtered total when
there is no search), one query fetches the page of rows with their executions,
and only a text search adds a count. The fingerprint is taken from the fetched
rows, so an htmx refresh that would render the same page can stop before
rendering anything; a refresh also reuses recent counts (see status_counts), so
its cost does not grow with the number of watches.
"""

import functools
import math
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q

from dashboard.htmx import fingerprint

from .models import PollState, Watch

# Poll trouble is about reaching Plannr, not about the execution: kept apart from failure.
TROUBLE_STATES = frozenset(
    {
        PollState.NOT_FOUND,
        PollState.UNAUTHORIZED,
        PollState.RATE_LIMITED,
        PollState.SERVER_ERROR,
        PollState.TIMEOUT,
        PollState.INVALID,
    }
)
FAILING = "failing"
TROUBLE = "trouble"
NOT_POLLED = "not-polled"

# key -> (label, fields to order by ascending). Descending reverses each field.
SORTS = {
    "watched": ("Watched", ["created_at"]),
    "status": ("Status", ["execution__status"]),
    "name": ("Execution", ["execution__name"]),
    "client": ("Client", ["execution__account_name"]),
    "progress": ("Progress", ["execution__steps_done", "execution__steps_count"]),
    "polled": ("Last polled", ["execution__last_polled_at"]),
    "label": ("Label", ["label"]),
}
DEFAULT_SORT = "-watched"
SEARCH_MAX = 200
# "Last polled" times on the watchlist may lag by up to this many seconds: the
# page is re-rendered at least this often even when nothing else changed.
LAST_POLLED_RESOLUTION = 60


@dataclass(frozen=True)
class Params:
    status: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def from_query(cls, query):
        sort = query.get("sort", DEFAULT_SORT)
        if sort.lstrip("-") not in SORTS:
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
        """The URL query for these params with `changes` applied, defaults left out."""
        values = {"status": self.status, "q": self.q, "sort": self.sort, "page": self.page}
        values.update(changes)
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = ""
        if values["page"] == 1:
            values["page"] = ""
        return urlencode({k: v for k, v in values.items() if v})


@dataclass
class StatusCounts:
    total: int = 0
    failing: int = 0
    trouble: int = 0
    not_polled: int = 0
    by_status: list = field(default_factory=list)  # [(status, count)], most common first
    groups: list = field(default_factory=list)  # raw rows, for filtered totals

    def matching(self, status_filter):
        """How many watches a status filter keeps, from the grouped counts."""
        return sum(g["n"] for g in self.groups if _group_matches(g, status_filter))

    def key(self):
        return (self.total, self.failing, self.trouble, self.not_polled, tuple(self.by_status))


@dataclass
class Pagination:
    number: int
    num_pages: int
    total: int
    size: int

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.num_pages

    @property
    def start_index(self):
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def end_index(self):
        return min(self.number * self.size, self.total)


@dataclass
class WatchlistPage:
    params: Params
    counts: StatusCounts
    pagination: Pagination
    ids: list
    fingerprint: str

    @functools.cached_property
    def rows(self):
        """The page's Watch rows with their executions, in order: one query."""
        return _load_rows(self.ids) if self.ids else []


def _group_matches(group, status_filter):
    if not status_filter:
        return True
    if status_filter == FAILING:
        return group["execution__is_failing"]
    if status_filter == TROUBLE:
        return group["execution__poll_state"] in TROUBLE_STATES
    if status_filter == NOT_POLLED:
        return group["execution__status"] == ""
    return group["execution__status"] == status_filter


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
            | Q(label__icontains=term)
        )
    return q


# Only these sort fields can be null; asking for NULLS LAST on the others would
# stop PostgreSQL from reading the (user, -created_at) index in order.
_NULLABLE = {"execution__last_polled_at"}


def _ordering(sort):
    descending = sort.startswith("-")
    fields = SORTS[sort.lstrip("-")][1]
    order = [
        (F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True))
        if f in _NULLABLE
        else (F(f).desc() if descending else F(f).asc())
        for f in fields
    ]
    # A unique tiebreaker keeps pages stable when many rows share a value.
    order.append(F("id").desc() if descending else F("id").asc())
    return order


def _counts_key(user):
    return f"watchlist:counts:{user.pk}"


def forget_counts(user):
    """Drop the cached counts: the user's own changes show at once."""
    cache.delete(_counts_key(user))


def status_counts(user, *, cached=False):
    """Every count the page shows, from one grouped query.

    That query reads all the user's watches, so it is the one cost of a refresh
    that grows with N. Refreshes (`cached=True`) reuse a result up to one refresh
    interval old: counts may lag the rows by one refresh, never more. Page loads
    and the user's own filter changes always count afresh.
    """
    if cached:
        counts = cache.get(_counts_key(user))
        if counts is not None:
            return counts
    counts = _count(user)
    cache.set(_counts_key(user), counts, settings.UI_REFRESH_SECONDS)
    return counts


def _count(user):
    groups = list(
        Watch.objects.filter(user=user)
        .values("execution__status", "execution__is_failing", "execution__poll_state")
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


# What a row's fingerprint is made of. `Execution.version` is bumped on every
# change a page shows (architecture.md); the watch's own columns cover the label.
# The exact last-poll time is left out: a routine poll moves it every few seconds
# on every running row, which would make every refresh a full render. The time
# bucket in watchlist_page re-renders at least every LAST_POLLED_RESOLUTION instead.
_KEY_FIELDS = (
    "id", "updated_at", "label", "execution_id", "execution__version", "execution__updated_at",
    "execution__poll_state",
)


def watchlist_page(user, params, page_size=None, refresh=False):
    """The page of watches `params` asks for, fingerprinted; rows load on first use.

    The fingerprint comes from a narrow query (ids, versions, timestamps), so a
    refresh that finds it unchanged answers without building any model object.
    """
    size = page_size or settings.WATCHLIST_PAGE_SIZE
    counts = status_counts(user, cached=refresh)
    qs = Watch.objects.filter(user=user).filter(_status_q(params.status))
    if params.q:
        qs = qs.filter(_search_q(params.q))
        total = qs.count()
    else:
        total = counts.matching(params.status)
    num_pages = max(1, math.ceil(total / size))
    number = min(params.page, num_pages)
    offset = (number - 1) * size
    keys = list(qs.order_by(*_ordering(params.sort)).values_list(*_KEY_FIELDS)[offset : offset + size])
    pagination = Pagination(number=number, num_pages=num_pages, total=total, size=size)
    fp = fingerprint(
        params.status, params.q, params.sort, number, num_pages, total, counts.key(),
        keys, int(time.time() // LAST_POLLED_RESOLUTION),
    )
    return WatchlistPage(
        params=params, counts=counts, pagination=pagination, ids=[k[0] for k in keys], fingerprint=fp
    )


def _load_rows(ids):
    by_id = Watch.objects.select_related("execution").defer(
        "execution__previous_step", "execution__payload_hash", "execution__claim_token"
    ).in_bulk(ids)
    # Rows deleted since the fingerprint query simply drop out.
    return [by_id[i] for i in ids if i in by_id]


def matching(user, params):
    """The user's watches that `params`' status filter and search keep, unordered.

    The same filters as the page, for the API and the CSV export, which order and
    page the rows their own way.
    """
    qs = Watch.objects.filter(user=user).filter(_status_q(params.status))
    return qs.filter(_search_q(params.q)) if params.q else qs
