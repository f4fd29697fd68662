"""The watchlist's table: one user's watches (rows are Watch), with their labels."""

from executions.models import Watch

from . import table as tables
from .page import table_page
from .table import Table


def _counts_key(owner, user):
    return f"watchlist:counts:{user.pk}"


WATCHES = Table(
    name="watch",
    rows=lambda owner, user: Watch.objects.filter(user=user),
    counts_key=_counts_key,
    page_url="executions:watchlist",
    rows_url="executions:watchlist_rows",
    label="label",
    region="watchlist",
    table_id="watch-table",
    body_id="watch-rows",
    empty_id="watch-empty",
    noun="watches",
    empty_text="Nothing watched yet. Paste execution UUIDs above to start watching them.",
    # After the user adds watches (views.add_watches).
    reload_on="watches-changed",
)


def forget_counts(user):
    """Drop the user's cached watchlist counts."""
    tables.forget_counts(_counts_key(None, user))


def watch_counts(user):
    """The counts the watchlist's filter buttons show, counted afresh."""
    return tables.status_counts(WATCHES.rows(user, user), WATCHES, _counts_key(None, user))


def watchlist_page(user, params, refresh=False):
    return table_page(WATCHES.rows(user, user), WATCHES, params, _counts_key(None, user), refresh=refresh)


def matching(user, params):
    """The user's watches that `params`' status filter and search keep, unordered."""
    return tables.matching(WATCHES.rows(user, user), WATCHES, params)
