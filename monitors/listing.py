"""A monitor's executions as a page: the watchlist's table over the executions it found.

Filters, search, sort (failing first by default), paging, counts, the query budget
and the live refresh's fingerprint are the watchlist's own (executions.watchlist,
`EXECUTIONS` table); rows are rendered once by executions.rows. Only the queryset
and the cache key of the counts are the monitor's.
"""

from executions.models import Execution
from executions.watchlist import EXECUTIONS, table_page


def found_executions(monitor):
    # One Finding per (monitor, execution): the join repeats no execution.
    return Execution.objects.filter(monitor_findings__monitor=monitor)


def _counts_key(monitor):
    return f"monitor:counts:{monitor.pk}"


def executions_page(monitor, params, refresh=False):
    """The page of `monitor`'s executions that `params` (watchlist.Params) asks for, fingerprinted."""
    return table_page(found_executions(monitor), EXECUTIONS, params, _counts_key(monitor), refresh=refresh)
