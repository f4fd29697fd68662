"""A monitor's executions as a table (ui/table.py): its rows are the monitor's `Finding`s,
as the watchlist's are a user's `Watch`es.

Filters, search, sort (failing first by default), paging, counts, the query budget and
the live refresh's fingerprint are every table's own (ui/page.py); rows are rendered once
by ui/rows.py. "Newest first" is newest found, read along the (monitor, -found_at)
index, so a page of the default sort costs the same with 100,000 executions as with 100.
"""

from ui.table import Table

from .models import Finding

FINDINGS = Table(
    name="finding",
    rows=lambda monitor, user: Finding.objects.filter(monitor=monitor),
    counts_key=lambda monitor, user: f"monitor:counts:{monitor.pk}",
    page_url="monitors:detail",
    rows_url="monitors:rows",
    url_args=lambda monitor: [monitor.pk],
    newest="found_at",
    empty_text="Nothing found yet. New executions show here within a sweep of their creation.",
)
