"""The watchlist query: filter, search, sort, count and page a table of executions.

The same code serves one user's watches (`WATCHES`, rows are Watch) and any
queryset of executions (`EXECUTIONS`, rows are Execution, e.g. one monitor's):
a `Table` says where the execution's columns are from the row.

It is written to a fixed query budget whatever the number of rows: one grouped
aggregate gives every count the page shows (and the filtered total when there is
no search), one narrow query gives the page's row keys, and only a text search
adds a count. The fingerprint is taken from those keys, so an htmx refresh that
would render the same page stops before rendering anything; a refresh also
reuses recent counts (see status_counts), so its cost does not grow with N.
The rows themselves are rendered once per version (executions/rows.py).
"""

import math
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Count, Expression, F, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from dashboard.htmx import fingerprint

from . import sql
from .models import TROUBLE_STATES, Watch

FAILING = "failing"
TROUBLE = "trouble"
NOT_POLLED = "not-polled"

# key -> label. "status" sorts by severity: failing, then running, then the rest.
SORT_LABELS = {
    "watched": "Watched",
    "status": "Status",
    "name": "Execution",
    "client": "Client",
    "progress": "Progress",
    "polled": "Last polled",
    "label": "Label",
}
DEFAULT_SORT = "status"
SEARCH_MAX = 200
PAGE_MAX = 10**6
PAGE_SIZES = (25, 50, 100, 200)
# "Last polled" times on the watchlist may lag by up to this many seconds: the
# page is re-rendered at least this often even when nothing else changed.
LAST_POLLED_RESOLUTION = 60


@dataclass(frozen=True)
class Table:
    """Where a table's columns live, relative to its row model."""

    name: str
    execution: str  # lookup prefix of the execution's fields: "execution__" or ""
    newest: str  # the row's own "newest first" field
    label: str | None = None  # the row's label field, if it has one

    def f(self, name):
        return f"{self.execution}{name}"


WATCHES = Table(name="watch", execution="execution__", newest="created_at", label="label")
EXECUTIONS = Table(name="execution", execution="", newest="created_at")


def _clean(value):
    # NUL cannot reach PostgreSQL (psycopg refuses it), and no real value holds one.
    return value.replace("\x00", "")


def default_page_size():
    return settings.WATCHLIST_PAGE_SIZE


@dataclass(frozen=True)
class Params:
    status: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    size: int = 0  # 0: the default page size

    @classmethod
    def from_query(cls, query):
        """Params from a QueryDict. Anything that is not a valid value is ignored, never an error."""
        query = {key: _clean(query.get(key, "")) for key in ("status", "q", "sort", "page", "size")}
        sort = query["sort"] or DEFAULT_SORT
        if sort.lstrip("-") not in SORT_LABELS:
            sort = DEFAULT_SORT
        try:
            page = min(max(1, int(query["page"] or 1)), PAGE_MAX)
        except (TypeError, ValueError):
            page = 1
        try:
            size = int(query["size"] or 0)
        except (TypeError, ValueError):
            size = 0
        return cls(
            status=query["status"][:100],
            q=" ".join(query["q"].split())[:SEARCH_MAX],
            sort=sort,
            page=page,
            size=size if size in PAGE_SIZES and size != default_page_size() else 0,
        )

    @property
    def page_size(self):
        return self.size or default_page_size()

    def query_string(self, **changes):
        """The URL query for these params with `changes` applied, defaults left out."""
        values = {"status": self.status, "q": self.q, "sort": self.sort, "page": self.page, "size": self.size}
        values.update(changes)
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = ""
        if values["page"] == 1:
            values["page"] = ""
        if values["size"] == default_page_size():
            values["size"] = ""
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
        """How many rows a status filter keeps, from the grouped counts."""
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
class TablePage:
    table: Table
    params: Params
    counts: StatusCounts
    pagination: Pagination
    keys: list  # (row id, version key..., polling) per row, in order
    fingerprint: str
    # The values each row shows, fetched with the keys (one query) and converted only for
    # the rows missing from the row cache, which are rendered from them.
    rows: "PageRows" = None

    @property
    def page_sizes(self):
        return sorted({*PAGE_SIZES, default_page_size()})

    @property
    def ids(self):
        return [k[0] for k in self.keys]

    def values(self, ids):
        """The plain values of the rows with these ids, in that order."""
        position = {row_id: i for i, row_id in enumerate(self.ids)}
        positions = [position[row_id] for row_id in ids]
        values = self.rows.values(positions)
        for row, i in zip(values, positions):
            row["polling"] = self.keys[i][-1]
        return values


# The grouped count's columns, as plain names.
_GROUP_FIELDS = ("status", "is_failing", "poll_state")


def _group_matches(group, status_filter):
    if not status_filter:
        return True
    if status_filter == FAILING:
        return group["is_failing"]
    if status_filter == TROUBLE:
        return group["poll_state"] in TROUBLE_STATES
    if status_filter == NOT_POLLED:
        return group["status"] == ""
    return group["status"] == status_filter


def _status_q(table, status_filter):
    f = table.f
    if not status_filter:
        return Q()
    if status_filter == FAILING:
        return Q(**{f("is_failing"): True})
    if status_filter == TROUBLE:
        return Q(**{f("poll_state__in"): TROUBLE_STATES})
    if status_filter == NOT_POLLED:
        return Q(**{f("status"): ""})
    return Q(**{f("status"): status_filter})


def _search_q(table, text):
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


def severity(table):
    """0 failing, 1 running, 2 the rest: the order in which a person should look."""
    f = table.f
    running = [s.lower() for s in settings.PLANNR_RUNNING_STATUSES]
    return Case(
        When(**{f("is_failing"): True}, then=Value(0)),
        When(Q(_status_lower__in=running), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _ordering(table, sort):
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


def _annotate_for(table, qs, sort):
    if sort.lstrip("-") == "status":
        return qs.annotate(_status_lower=Lower(table.f("status"))).annotate(_severity=severity(table))
    return qs


def forget_table_counts(counts_key):
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
    counts = StatusCounts(groups=groups)
    by_status = {}
    for g in groups:
        counts.total += g["n"]
        if g["is_failing"]:
            counts.failing += g["n"]
        if g["poll_state"] in TROUBLE_STATES:
            counts.trouble += g["n"]
        if g["status"] == "":
            counts.not_polled += g["n"]
        else:
            by_status[g["status"]] = by_status.get(g["status"], 0) + g["n"]
    counts.by_status = sorted(by_status.items(), key=lambda item: (-item[1], item[0]))
    return counts


def key_fields(table):
    """What a row's fingerprint (and its cached HTML) is made of.

    `Execution.version` is bumped on every change a page shows (architecture.md);
    the row's own label is there as itself. Poll state is kept apart, as polling
    trouble does not touch the execution's data. The exact last-poll time is left
    out: a routine poll moves it every few seconds on every running row, which
    would make every refresh a full render. The time bucket in table_page
    re-renders at least every LAST_POLLED_RESOLUTION instead. (Timestamps are the
    costliest values to load, on SQLite most of all: the one here, the connection's
    broken_since, is NULL but while a connection is broken.)
    """
    own = ("id",)
    if table.execution:
        own += (table.f("id"),) + ((table.label,) if table.label else ())
    # A connection that breaks or is restored changes every row of its executions
    # ("Connection broken since …"), without touching them: its state is in the key.
    return own + (table.f("version"), table.f("poll_state"), table.f("connection__broken_since"))


# What a row shows of its execution (executions/rows.py renders it).
DISPLAY_FIELDS = (
    "uuid", "name", "status", "triggered_by", "account_name", "steps_count", "steps_done", "next_step",
    "is_failing", "failure_message", "poll_state", "last_polled_at", "last_poll_error", "connection_id",
)


def row_fields(table):
    shown = [table.f(n) for n in DISPLAY_FIELDS] + ([table.label] if table.label else [])
    return list(dict.fromkeys([*key_fields(table), *shown]))


@dataclass(frozen=True)
class Owner:
    """Whose rows a table shows, when that is one equality on the row model: a user's
    watches, a monitor's findings (`qs` is then `model.objects.filter(field=id)`)."""

    field: str
    id: int


class _OwnerId(Expression):
    """The owner's id in a page query compiled once (PageRows.fetch): a parameter whose
    value is given each time the query runs."""

    def __init__(self):
        super().__init__(output_field=IntegerField())

    def as_sql(self, compiler, connection):
        return "%s", [self]


# (database, table, owner field, running statuses, shape) -> (sql, params, names, columns)
_COMPILED = {}
_COMPILED_MAX = 256


class PageRows:
    """A page's rows as the database returned them; values are converted (as the ORM
    would) only for the rows rendered.

    Two costs of the page's row query were Python's, not the database's. Building and
    compiling it (18 columns over a join, the status and severity filters, the order)
    took longer than SQLite took to run it: for an owner's rows it is now built and
    compiled once per shape, over a stand-in for the owner's id, and its SQL kept in this
    process. And converting every value of the page (uuids and dates parsed from text
    on SQLite, next steps decoded from JSON) took as long again, though the row cache
    needs only each row's key (ids, version, poll state: no conversion) and a refresh
    finds most rows there.
    """

    def __init__(self, table):
        self.table = table
        self.names, self._columns, self._raw, self._db = [], [], [], None

    def __len__(self):
        return len(self._raw)

    def fetch(self, qs, owner, shape, build):
        """Add the rows of `build(qs)`, a sliced values() queryset of `qs`.

        With an `owner`, `qs` is that owner's rows and `shape` is everything else the
        query depends on: build() then runs once per shape (in this process).
        """
        if owner is None:
            compiled = _compile(build(qs))
        else:
            key = (qs.db, self.table.name, owner.field, tuple(settings.PLANNR_RUNNING_STATUSES), *shape)
            compiled = _COMPILED.get(key)
            if compiled is None:
                compiled = _compile(build(qs.model._default_manager.filter(**{owner.field: _OwnerId()})))
                if len(_COMPILED) >= _COMPILED_MAX:
                    _COMPILED.clear()
                _COMPILED[key] = compiled
        sql, params, names, columns = compiled
        if not sql:
            return
        self.names, self._columns, self._db = names, columns, qs.db
        if owner is not None:
            params = [owner.id if isinstance(p, _OwnerId) else p for p in params]
        with connections[qs.db].cursor() as cursor:
            cursor.execute(sql, params)
            self._raw += cursor.fetchall()

    def keys(self, names):
        """Each row's values of `names`, in order, as tuples."""
        return [tuple(values) for values in self._converted(range(len(self._raw)), names)]

    def values(self, positions):
        """The rows at these positions, as the {field: value} dicts values() gives."""
        return [dict(zip(self.names, values)) for values in self._converted(positions, self.names)]

    def _converted(self, positions, names):
        """What SQLCompiler.get_converters and apply_converters do, for these rows and columns."""
        if not self._raw:
            return
        connection = connections[self._db]
        converters = []
        for i in [self.names.index(name) for name in names]:
            column = self._columns[i]
            convs = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converters.append((i, convs, column))
        for position in positions:
            row = self._raw[position]
            values = []
            for i, convs, column in converters:
                value = row[i]
                for convert in convs:
                    value = convert(value, column, connection)
                values.append(value)
            yield values


def _compile(values_qs):
    """(sql, params, names, columns) of a values() queryset; sql None when it can match nothing."""
    query = values_qs.query
    names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select]
    compiler = query.get_compiler(values_qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None, [], names, []
    return sql, params, names, [column for column, _, _ in compiler.select[: compiler.col_count]]


def table_page(qs, table, params, counts_key, refresh=False, owner=None):
    """The page of rows `params` asks for from `qs`, fingerprinted; rows render on first use.

    `owner` (an Owner) when `qs` is one owner's rows: the page's row query is then
    compiled once per shape (PageRows.fetch).
    """
    size = params.page_size
    counts = status_counts(qs, table, counts_key, cached=refresh)
    if params.q:
        total = qs.filter(_status_q(table, params.status)).filter(_search_q(table, params.q)).count()
    else:
        total = counts.matching(params.status)
    num_pages = max(1, math.ceil(total / size))
    number = min(params.page, num_pages)
    offset = (number - 1) * size
    fields = row_fields(table)
    rows = PageRows(table)
    # A search's terms are parameters of their own: such queries are built each time.
    owner = owner if not params.q else None
    if params.sort.lstrip("-") == "status" and not params.q:
        _rows_by_severity(table, qs, params, counts, offset, size, fields, rows, owner)
    else:

        def ordered(base):
            base = base.filter(_status_q(table, params.status))
            if params.q:
                base = base.filter(_search_q(table, params.q))
            base = _annotate_for(table, base, params.sort)
            return base.order_by(*_ordering(table, params.sort)).values(*fields)[offset : offset + size]

        rows.fetch(qs, owner, (params.status, params.sort, offset, size), ordered)
    keys = _with_polling(table, rows.keys(key_fields(table)))
    pagination = Pagination(number=number, num_pages=num_pages, total=total, size=size)
    fp = fingerprint(
        table.name, params, number, num_pages, total, counts.key(), keys, minute_bucket(),
    )
    return TablePage(
        table=table, params=params, counts=counts, pagination=pagination, keys=keys, fingerprint=fp,
        rows=rows,
    )


def _with_polling(table, keys):
    """Each key with whether its execution's poll is under way: claimed by a batch that has
    not reported. The claim writes "last polled" in advance (sql.claim), so until the batch
    finishes the row says "polling…" instead. One query for the page; the flag is part of
    the key, so the row is re-rendered (and the refresh sees a change) when the batch ends.
    """
    if not keys:
        return keys
    at = key_fields(table).index(table.f("id"))
    ids = [k[at] for k in keys]
    polling = sql.polling_ids(ids)
    return [(*k, execution_id in polling) for k, execution_id in zip(keys, ids)]


def _severity_of(group):
    """The severity (see `severity`) of a grouped count's rows, in Python."""
    if group["is_failing"]:
        return 0
    return 1 if group["status"].lower() in _running() else 2


def _running():
    return {s.lower() for s in settings.PLANNR_RUNNING_STATUSES}


def _severity_q(table, level):
    failing = Q(**{table.f("is_failing"): True})
    running = Q(_status_lower__in=_running())
    return [failing, ~failing & running, ~failing & ~running][level]


def _rows_by_severity(table, qs, params, counts, offset, size, fields, rows, owner=None):
    """Fetch the page's rows into `rows` (PageRows) in severity order without sorting every row.

    A sort on a computed severity must read and sort all N rows. Instead the page
    is cut from each severity group in turn, each read newest first along the
    (user, -created_at) index and stopped at the page's end: one small query per
    group the page spans. The first page needs no counts, so it is exact on every
    refresh; a later page finds where each group starts from the grouped counts,
    which on a refresh may be one refresh old.
    """
    levels = [2, 1, 0] if params.sort.startswith("-") else [0, 1, 2]
    newest = [F(table.newest).desc(), F("id").desc()]

    def part(level, lo, hi):
        def build(base):
            base = base.filter(_status_q(table, params.status))
            base = base.annotate(_status_lower=Lower(table.f("status")))
            return base.filter(_severity_q(table, level)).order_by(*newest).values(*fields)[lo:hi]

        rows.fetch(qs, owner, (params.status, "severity", level, lo, hi), build)

    if offset == 0:
        for level in levels:
            part(level, 0, size - len(rows))
            if len(rows) == size:
                break
        return
    sizes = [0, 0, 0]
    for g in counts.groups:
        if _group_matches(g, params.status):
            sizes[_severity_of(g)] += g["n"]
    start = 0
    for level in levels:
        end = start + sizes[level]
        lo, hi = max(offset, start), min(offset + size, end)
        if lo < hi:
            part(level, lo - start, hi - start)
        start = end


def minute_bucket():
    return int(time.time() // LAST_POLLED_RESOLUTION)


# --- One user's watches ---------------------------------------------------------------


def _watch_counts_key(user):
    return f"watchlist:counts:{user.pk}"


def forget_counts(user):
    """Drop the user's cached watchlist counts."""
    forget_table_counts(_watch_counts_key(user))


def watch_counts(user):
    """The counts the watchlist's filter buttons show, counted afresh."""
    return status_counts(Watch.objects.filter(user=user), WATCHES, _watch_counts_key(user))


def watchlist_page(user, params, refresh=False):
    qs = Watch.objects.filter(user=user)
    owner = Owner("user_id", user.pk)
    return table_page(qs, WATCHES, params, _watch_counts_key(user), refresh=refresh, owner=owner)


def matching(user, params):
    """The user's watches that `params`' status filter and search keep, unordered.

    The same filters as the page, for the API and the CSV export, which order and
    page the rows their own way.
    """
    return table_matching(Watch.objects.filter(user=user), WATCHES, params)


def table_matching(qs, table, params):
    """The rows of `qs` (a `table`) that `params`' status filter and search keep, unordered."""
    qs = qs.filter(_status_q(table, params.status))
    return qs.filter(_search_q(table, params.q)) if params.q else qs
