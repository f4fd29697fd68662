"""An incident's affected executions as a page: the watchlist's table over its occurrences.

Filters, search, sort (failing first by default), paging, counts, the query budget
and the live refresh's fingerprint are the watchlist's own (executions.watchlist);
rows are rendered once by executions.rows. The table's rows are the incident's
`Occurrence`s, one per execution, as a monitor's are its `Finding`s: "newest
first" is newest detected, read along the (incident, -detected_at) index.
"""

from executions.watchlist import Table, table_page

from .models import Occurrence

OCCURRENCES = Table(name="occurrence", execution="execution__", newest="detected_at")


def affected(incident, user):
    """The incident's occurrences on executions `user` may see (staff see all, as with incidents)."""
    occurrences = Occurrence.objects.filter(incident=incident)
    return occurrences if user.is_staff else occurrences.visible_to(user)


def _counts_key(incident, user):
    # Counts differ per viewer: each sees only the executions they may see.
    return f"incident:counts:{incident.pk}:{'staff' if user.is_staff else user.pk}"


def executions_page(incident, user, params, refresh=False):
    """The page of `incident`'s executions that `params` (watchlist.Params) asks for, fingerprinted."""
    return table_page(affected(incident, user), OCCURRENCES, params, _counts_key(incident, user), refresh=refresh)
