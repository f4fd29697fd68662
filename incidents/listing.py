"""An incident's affected executions as a table (ui/table.py) over its occurrences.

Filters, search, sort (failing first by default), paging, counts, the query budget
and the live refresh's fingerprint are every table's own (ui/page.py); rows are
rendered once by ui/rows.py. The table's rows are the incident's `Occurrence`s, one
per execution, as a monitor's are its `Finding`s: "newest first" is newest detected,
read along the (incident, -detected_at) index.
"""

from django.db.models import Count

from accounts import visibility
from connections.models import Connection
from ui.table import Table

from .models import Occurrence


def affected(incident, user):
    """The incident's occurrences on executions `user` may see (accounts/visibility.py)."""
    # The table lists executions: an occurrence without one (a missing incident) has no row.
    return Occurrence.objects.filter(incident=incident).of_executions().visible_to(user)


def _counts_key(incident, user):
    # Counts differ per viewer: each sees only the executions they may see, unless they see all.
    return f"incident:counts:{incident.pk}:{'all' if visibility.sees_every_incident(user) else user.pk}"


OCCURRENCES = Table(
    name="occurrence",
    rows=affected,
    counts_key=_counts_key,
    page_url="incidents:detail",
    rows_url="incidents:rows",
    url_args=lambda incident: [incident.pk],
    newest="detected_at",
    empty_text="None you can see.",
)


# Links out to Plannr for the incident's most recent affected executions.
PLANNR_LINKS_SHOWN = 5


def connections_context(incident, user):
    """What the incident page says of its executions' connections (a single connection
    without links out costs one query):

    - `connections`: [(name, affected executions)] when there is more than one
      connection (with one, naming it says nothing);
    - `plannr_links`: the most recent affected executions whose connection has URL
      templates for Plannr's web app, as [{name, client, execution_url, client_url}].
    """
    templates = list(Connection.objects.values_list("pk", "execution_url_template", "client_url_template"))
    linking = [pk for pk, execution_t, client_t in templates if execution_t or client_t]
    context = {"connections": [], "plannr_links": []}
    if len(templates) > 1:
        context["connections"] = list(
            affected(incident, user).values_list("execution__connection__name").annotate(n=Count("id"))
            .order_by("-n", "execution__connection__name")
        )
    if linking:
        recent = (
            affected(incident, user).filter(execution__connection__in=linking)
            .select_related("execution__connection").order_by("-detected_at", "-pk")[:PLANNR_LINKS_SHOWN]
        )
        for o in recent:
            e = o.execution
            links = e.connection.execution_links(e)
            if links["execution"] or links["client"]:
                context["plannr_links"].append({
                    "name": e.name or str(e.uuid), "client": e.account_name,
                    "execution_url": links["execution"], "client_url": links["client"],
                })
    return context
