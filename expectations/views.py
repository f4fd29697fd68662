"""The blueprint page: executions failing first, incidents, expectations and the run × step matrix."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.rules import MONITORS
from connections.defaults import ensure_default
from connections.models import Connection
from incidents.models import Incident
from dashboard.htmx import login_required
from ui.owned import live_table, table_context

from . import blueprint as data
from . import hours, services, suggestions
from .models import Expectation

INCIDENTS_SHOWN = 20


@require_GET
@login_required
def blueprint(request, connection, name):
    connection = get_object_or_404(Connection, pk=connection)
    now = timezone.now()
    verdicts, suggestions = data.verdicts(connection.pk, name, now)
    context = {
        "nav": "incidents",
        "incidents": data.incidents_of(connection.pk, name).visible_to(request.user)
        .needing_attention_first()[:INCIDENTS_SHOWN],
        "verdicts": [(v, data.band_per_hour(v.expectation)) for v in verdicts],
        "suggestions": suggestions,
        # The same blueprint name may be in several connected accounts: the heading says whose this is.
        "many_connections": Connection.objects.count() > 1,
        "hourly": data.hourly(connection.pk, name, request.user, now),
        "matrix": data.matrix(connection.pk, name, request.user),
        "can_manage": request.user.has_perm(MONITORS),
        "blueprint_in_plannr": services.plannr_link(connection, name),
        "blueprint_name": name,
        "connection": connection,
        **table_context(request, data.EXECUTIONS, (connection.pk, name)),
    }
    context["band"] = max((b for _, b in context["verdicts"] if b is not None), default="")
    return render(request, "expectations/blueprint.html", context)


@require_GET
@login_required
def blueprint_by_name(request, name):
    """`/blueprint/<name>`: the blueprint's page when the name is known in one connection (or none:
    the default's, empty); a page listing the connections when it is known in several."""
    ids = data.connections_of(name)
    if len(ids) <= 1:
        return redirect(data.url(ids[0] if ids else ensure_default().pk, name))
    connections = sorted(Connection.objects.filter(pk__in=ids), key=lambda c: (c.name.lower(), c.pk))
    choices = [(c, data.url(c.pk, name)) for c in connections]
    return render(request, "expectations/blueprint_choice.html", {"nav": "incidents", "blueprint_name": name,
                                                                     "choices": choices})


@require_GET
@login_required
def incident_blueprint(request, pk):
    """An incident's blueprint page: its expectation's connection, or the one its executions share."""
    incident = get_object_or_404(Incident.objects.visible_to(request.user), pk=pk)
    connection_id = data.connection_of_incident(incident)
    if connection_id is None:
        return redirect("expectations:blueprint_by_name", incident.blueprint_name)
    return redirect(data.url(connection_id, incident.blueprint_name))


@require_GET
@login_required
def blueprint_rows(request, connection, name):
    connection = get_object_or_404(Connection.objects.only("pk"), pk=connection)
    return live_table(request, data.EXECUTIONS, (connection.pk, name))


@require_POST
@login_required
def suggest(request, connection, name):
    """Learn a volume expectation from the blueprint's history in this connection; shown until an Admin accepts it."""
    connection = get_object_or_404(Connection, pk=connection)
    blueprint_uuid = services.uuid_of(connection, name)
    if blueprint_uuid is None:
        messages.error(request, "This blueprint's uuid is not known: add a blueprint monitor or an expectation first.")
    else:
        try:
            suggestions.suggest(connection, blueprint_uuid, name)
        except suggestions.NoSuggestion as exc:
            messages.error(request, str(exc))
    return redirect(data.url(connection.pk, name))


def _positive(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@require_POST
@login_required
def accept(request, pk):
    """Accept a suggestion in one click, or with the edits sent along."""
    expectation = get_object_or_404(Expectation.objects.suggestions(), pk=pk)
    try:
        suggestions.accept(
            expectation, request.user, at_least=_positive(request.POST.get("at_least")),
            within_minutes=_positive(request.POST.get("within")), hours=request.POST.get("hours"),
        )
    except hours.HoursError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Expectation accepted: it is checked from now on.")
    return redirect(data.url(expectation.connection_id, expectation.blueprint_name))
