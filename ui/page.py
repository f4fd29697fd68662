"""A page of a table: filter, search, sort, count and page its rows, to a fixed query budget.

Whatever the number of rows: one grouped aggregate gives every count the page shows
(and the filtered total when there is no search), one narrow query per severity group
the page spans gives the page's row keys, and only a text search adds a count. The
fingerprint is taken from those keys, so an htmx refresh that would render the same
page stops before rendering anything; a refresh also reuses recent counts
(table.status_counts), so its cost does not grow with N.

The keys are all the row cache (ui/rows.py) needs: the values a row shows are fetched
afterwards, in one query by id, and only for the rows the cache does not hold. A
refresh finds most rows there, so it reads and converts a few rows' values, not a page's.
"""

import math
import time
from dataclasses import dataclass

from django.db.models import F

from executions import sql

from dashboard.htmx import fingerprint
from .params import PAGE_SIZES, Params, default_page_size
from .table import (
    Table, StatusCounts, key_fields, matching, matching_count, row_fields, severity_of, severity_q,
    sorted_rows, status_counts, status_q, with_status_lower, group_matches,
)

# "Last polled" times in a table may lag by up to this many seconds: the page is
# re-rendered at least this often even when nothing else changed.
LAST_POLLED_RESOLUTION = 60


def minute_bucket():
    return int(time.time() // LAST_POLLED_RESOLUTION)


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
    model: type = None  # the rows' model, whose values values() fetches by id

    @property
    def page_sizes(self):
        return sorted({*PAGE_SIZES, default_page_size()})

    @property
    def ids(self):
        return [k[0] for k in self.keys]

    def values(self, ids):
        """The plain values (as values() gives them) of the rows with these ids, in that
        order, in one query; a row deleted since the keys were read is left out."""
        polling = {k[0]: k[-1] for k in self.keys}
        found = {row["id"]: row for row in self.model._default_manager.filter(pk__in=ids).values(*row_fields(self.table))}
        return [{**found[row_id], "polling": polling[row_id]} for row_id in ids if row_id in found]


def table_page(qs, table, params, counts_key, refresh=False):
    """The page of rows `params` asks for from `qs` (a `table`'s rows), fingerprinted;
    rows are rendered from it by ui/rows.py."""
    size = params.page_size
    counts = status_counts(qs, table, counts_key, cached=refresh)
    total = matching(qs, table, params).count() if params.q else matching_count(counts, table, params.status)
    num_pages = max(1, math.ceil(total / size))
    number = min(params.page, num_pages)
    offset = (number - 1) * size
    if params.sort.lstrip("-") == "status" and not params.q:
        keys = _keys_by_severity(table, qs, params, counts, offset, size)
    else:
        rows = sorted_rows(table, matching(qs, table, params), params.sort)
        keys = list(rows.values_list(*key_fields(table))[offset : offset + size])
    keys = _with_polling(table, keys)
    pagination = Pagination(number=number, num_pages=num_pages, total=total, size=size)
    fp = fingerprint(table.name, params, number, num_pages, total, counts.key(), keys, minute_bucket())
    return TablePage(
        table=table, params=params, counts=counts, pagination=pagination, keys=keys, fingerprint=fp,
        model=qs.model,
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


def _keys_by_severity(table, qs, params, counts, offset, size):
    """The page's row keys in severity order, without sorting every row.

    A sort on a computed severity must read and sort all N rows. Instead the page
    is cut from each severity group in turn, each read newest first along the
    (user, -created_at) index and stopped at the page's end: one small query per
    group the page spans. The first page needs no counts, so it is exact on every
    refresh; a later page finds where each group starts from the grouped counts,
    which on a refresh may be one refresh old.
    """
    levels = [2, 1, 0] if params.sort.startswith("-") else [0, 1, 2]
    newest = [F(table.newest).desc(), F("id").desc()]
    names = key_fields(table)
    keys = []

    def part(level, lo, hi):
        rows = with_status_lower(table, qs.filter(status_q(table, params.status)))
        rows = rows.filter(severity_q(table, level)).order_by(*newest)
        keys.extend(rows.values_list(*names)[lo:hi])

    if offset == 0:
        for level in levels:
            part(level, 0, size - len(keys))
            if len(keys) == size:
                break
        return keys
    sizes = [0, 0, 0]
    for g in counts.groups:
        if group_matches(table, g, params.status):
            sizes[severity_of(g)] += g["n"]
    start = 0
    for level in levels:
        end = start + sizes[level]
        lo, hi = max(offset, start), min(offset + size, end)
        if lo < hi:
            part(level, lo - start, hi - start)
        start = end
    return keys
