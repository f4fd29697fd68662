"""A monitor's executions as a page: the watchlist's table over the executions it found.

Filters, search, sort (failing first by default), paging, counts, the query budget
and the live refresh's fingerprint are the watchlist's own (executions.watchlist);
rows are rendered once by executions.rows. The table's rows are the monitor's
`Finding`s, as the watchlist's are a user's `Watch`es: "newest first" is newest
found, read along the (monitor, -found_at) index, so a page of the default sort
costs the same with 100,000 executions as with 100.
"""

from executions.watchlist import Table, table_page

from .models import Finding

FINDINGS = Table(name="finding", execution="execution__", newest="found_at")


def _counts_key(monitor):
    return f"monitor:counts:{monitor.pk}"


def executions_page(monitor, params, refresh=False):
    """The page of `monitor`'s executions that `params` (watchlist.Params) asks for, fingerprinted."""
    return table_page(Finding.objects.filter(monitor=monitor), FINDINGS, params, _counts_key(monitor), refresh=refresh)
