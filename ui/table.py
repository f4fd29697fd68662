"""A table of executions, declared once: its columns, filters, sort, row template, the
owner's rows and the row link. The watchlist (ui/watchlist.py), a monitor's executions
(monitors/listing.py), an incident's (incidents/listing.py) and a blueprint's
(expectations/blueprint.py) each declare one `Table`; ui/page.py pages it,
ui/rows.py renders its rows once, ui/owned.py serves it and `ui/_table.html` shows it.

A table's rows may be the executions themselves or rows that point at one (a user's
`Watch`es, a monitor's `Finding`s): `execution` is the lookup prefix of the
execution's fields from the row.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from executions.models import TROUBLE_STATES


@dataclass(frozen=True)
class Column:
    label: str
    sort: str = ""  # the sort key (ui.params.SORT_LABELS) its heading toggles; "" when it sorts nothing
    css: str = ""
    title: str = ""


@dataclass(frozen=True)
class Filter:
    """A status chip beside the per-status ones: the rows whose execution's `field` is one of `values`."""

    key: str  # its ?status= value, and the chip's id ("chip-<key>")
    label: str
    chip: str  # the chip's colour family (CSS "chip-<chip>")
    field: str
    values: tuple
    after_statuses: bool = False  # shown after the per-status chips, and only while it keeps a row

    def matches(self, group):
        return group[self.field] in self.values

    def q(self, table):
        if len(self.values) == 1:
            return Q(**{table.f(self.field): self.values[0]})
        return Q(**{table.f(f"{self.field}__in"): self.values})


FAILING = Filter("failing", "Failing", "failed", "is_failing", (True,))
# Poll trouble is about reaching Plannr, not about the execution: kept apart from failure.
TROUBLE = Filter("trouble", "Poll trouble", "trouble", "poll_state", tuple(sorted(TROUBLE_STATES)))
NOT_POLLED = Filter("not-polled", "No data yet", "pending", "status", ("",), after_statuses=True)
FILTERS = (FAILING, TROUBLE, NOT_POLLED)

COLUMNS = (
    Column("Status", "status", title="Failing first, then running, then the rest"),
    Column("Execution", "name"),
    Column("Progress", "progress"),
    Column("Latest failure", css="col-wide"),
    Column("Polled", "polled"),
)
LABEL_COLUMN = Column("Label", "label", css="col-optional")


def _no_args(owner):
    return []


@dataclass(frozen=True)
class Table:
    """One table of executions: what it shows, whose rows, and where it lives."""

    name: str  # the rows' cache keys and DOM ids ("watch-12")
    rows: Callable  # rows(owner, user): the owner's rows, as this user may see them
    counts_key: Callable  # counts_key(owner, user): where its status counts are cached
    page_url: str  # the page's URL name...
    rows_url: str  # ...and its live partial's, both reversed with url_args(owner)
    url_args: Callable = _no_args
    execution: str = "execution__"  # lookup prefix of the execution's fields: "execution__" or ""
    newest: str = "created_at"  # the row's own "newest first" field
    label: str | None = None  # the row's label field, if it has one (a column of its own)
    filters: tuple = FILTERS
    row_template: str = "executions/_row.html"
    row_link: str = "executions:detail"  # each row's link, reversed with the execution's uuid
    # The page's DOM: "<region>-live", "-poller", "-state"; the table, its body and the empty text.
    region: str = "executions"
    table_id: str = "executions-table"
    body_id: str = "execution-rows"
    empty_id: str = "executions-empty"
    noun: str = "executions"  # "No executions match …"
    empty_text: str = ""
    reload_on: str = ""  # a client event after which the table reloads at once, counting afresh

    def f(self, name):
        return f"{self.execution}{name}"

    @property
    def columns(self):
        return COLUMNS + ((LABEL_COLUMN,) if self.label else ())

    def filter(self, key):
        return next((f for f in self.filters if f.key == key), None)


# --- Filters and search ------------------------------------------------------------------


def group_matches(table, group, status_filter):
    """Whether a grouped count's rows pass a status filter."""
    if not status_filter:
        return True
    chip = table.filter(status_filter)
    return chip.matches(group) if chip else group["status"] == status_filter


def status_q(table, status_filter):
    if not status_filter:
        return Q()
    chip = table.filter(status_filter)
    return chip.q(table) if chip else Q(**{table.f("status"): status_filter})


def search_q(table, text):
    f = table.f
    q = Q()
    for term in text.split():
        term_q = (
            Q(**{f("uuid__icontains"): term})
            | Q(**{f("name__icontains"): term})
            | Q(**{f("account_name__icontains"): term})
            | Q(**{f("triggered_by__icontains"): term})
        )
        if table.label:
            term_q |= Q(**{f"{table.label}__icontains": term})
        q &= term_q
    return q


def matching(qs, table, params):
    """The rows of `qs` (a `table`) that `params`' status filter and search keep, unordered:
    the page's filters, for the API and the CSV export, which order and page their own way."""
    qs = qs.filter(status_q(table, params.status))
    return qs.filter(search_q(table, params.q)) if params.q else qs


# --- Sort -----------------------------------------------------------------------------------


def running_statuses():
    return {s.lower() for s in settings.PLANNR_RUNNING_STATUSES}


def severity(table):
    """0 failing, 1 running, 2 the rest: the order in which a person should look."""
    return Case(
        When(**{table.f("is_failing"): True}, then=Value(0)),
        When(Q(_status_lower__in=sorted(running_statuses())), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def severity_of(group):
    """The severity (see `severity`) of a grouped count's rows, in Python."""
    if group["is_failing"]:
        return 0
    return 1 if group["status"].lower() in running_statuses() else 2


def severity_q(table, level):
    failing = Q(**{table.f("is_failing"): True})
    running = Q(_status_lower__in=sorted(running_statuses()))
    return [failing, ~failing & running, ~failing & ~running][level]


def with_status_lower(table, qs):
    return qs.annotate(_status_lower=Lower(table.f("status")))


def ordering(table, sort):
    """ORDER BY for a sort key; a unique tiebreaker keeps pages stable."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    newest = [F(table.newest).desc(), F("id").desc()]
    if key == "status":
        # Reversing a severity sort reverses the groups, not "newest first" within them.
        return [F("_severity").desc() if descending else F("_severity").asc(), *newest]
    fields = {
        "watched": [table.newest],
        "name": [table.f("name")],
        "client": [table.f("account_name")],
        "progress": [table.f("steps_done"), table.f("steps_count")],
        "polled": [table.f("last_polled_at")],
        "label": [table.label or table.f("name")],
    }[key]
    nullable = {table.f("last_polled_at")}
    # NULLS LAST only where a field can be null: on the others it would stop
    # PostgreSQL from reading the (user, -created_at) index in order.
    order = [
        (F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True))
        if f in nullable
        else (F(f).desc() if descending else F(f).asc())
        for f in fields
    ]
    order.append(F("id").desc() if descending else F("id").asc())
    return order


def sorted_rows(table, qs, sort):
    if sort.lstrip("-") == "status":
        qs = with_status_lower(table, qs).annotate(_severity=severity(table))
    return qs.order_by(*ordering(table, sort))


# --- Counts ---------------------------------------------------------------------------------


@dataclass
class StatusCounts:
    total: int = 0
    by_filter: dict = field(default_factory=dict)  # Filter.key -> rows it keeps
    by_status: list = field(default_factory=list)  # [(status, count)], most common first
    groups: list = field(default_factory=list)  # raw rows, for filtered totals

    @property
    def failing(self):
        return self.by_filter.get(FAILING.key, 0)

    @property
    def trouble(self):
        return self.by_filter.get(TROUBLE.key, 0)

    @property
    def not_polled(self):
        return self.by_filter.get(NOT_POLLED.key, 0)

    def key(self):
        return (self.total, tuple(sorted(self.by_filter.items())), tuple(self.by_status))


# The grouped count's columns, as plain names: every filter's field is one of them.
_GROUP_FIELDS = ("status", "is_failing", "poll_state")


def forget_counts(counts_key):
    """Drop a table's cached counts: the user's own changes show at once."""
    cache.delete(counts_key)


def status_counts(qs, table, counts_key, *, cached=False):
    """Every count the page shows, from one grouped query.

    That query reads every row of the table, so it is the one cost of a refresh
    that grows with N. Refreshes (`cached=True`) reuse a result up to one refresh
    interval old: counts may lag the rows by one refresh, never more. Page loads
    and the user's own filter changes always count afresh.
    """
    if cached:
        counts = cache.get(counts_key)
        if counts is not None:
            return counts
    counts = _count(qs, table)
    cache.set(counts_key, counts, settings.UI_REFRESH_SECONDS)
    return counts


def _count(qs, table):
    raw = qs.values(*[table.f(n) for n in _GROUP_FIELDS]).annotate(n=Count("id")).order_by()
    groups = [{**{n: g[table.f(n)] for n in _GROUP_FIELDS}, "n": g["n"]} for g in raw]
    counts = StatusCounts(groups=groups, by_filter={chip.key: 0 for chip in table.filters})
    by_status = {}
    for g in groups:
        counts.total += g["n"]
        for chip in table.filters:
            if chip.matches(g):
                counts.by_filter[chip.key] += g["n"]
        if g["status"]:  # no status yet: "No data yet", not a status of its own
            by_status[g["status"]] = by_status.get(g["status"], 0) + g["n"]
    counts.by_status = sorted(by_status.items(), key=lambda item: (-item[1], item[0]))
    return counts


def matching_count(counts, table, status_filter):
    """How many rows a status filter keeps, from the grouped counts."""
    return sum(g["n"] for g in counts.groups if group_matches(table, g, status_filter))


# --- What a row is keyed by and shows ----------------------------------------------------------


def key_fields(table):
    """What a row's fingerprint (and its cached HTML) is made of.

    `Execution.version` is bumped on every change a page shows (architecture.md);
    the row's own label is there as itself. Poll state is kept apart, as polling
    trouble does not touch the execution's data. The exact last-poll time is left
    out: a routine poll moves it every few seconds on every running row, which
    would make every refresh a full render. The time bucket in the page's
    fingerprint re-renders at least every LAST_POLLED_RESOLUTION instead.
    """
    own = ("id",)
    if table.execution:
        own += (table.f("id"),) + ((table.label,) if table.label else ())
    # A connection that breaks or is restored changes every row of its executions
    # ("Connection broken since …"), without touching them: its state is in the key.
    return own + (table.f("version"), table.f("poll_state"), table.f("connection__broken_since"))


# What a row shows of its execution (ui/rows.py renders it).
DISPLAY_FIELDS = (
    "uuid", "name", "status", "triggered_by", "account_name", "steps_count", "steps_done", "next_step",
    "is_failing", "failure_message", "poll_state", "last_polled_at", "last_poll_error", "connection_id",
)


def row_fields(table):
    shown = [table.f(n) for n in DISPLAY_FIELDS] + ([table.label] if table.label else [])
    return list(dict.fromkeys([*key_fields(table), *shown]))
