"""The blueprint page: executions failing first, incidents, expectations and the run × step matrix."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.rules import MONITORS
from incidents.models import Incident
from ui.htmx import login_required
from ui.owned import live_table, table_context

from . import blueprint as data
from . import hours, services, suggestions
from .models import Expectation

INCIDENTS_SHOWN = 20


@require_GET
@login_required
def blueprint(request, name):
    now = timezone.now()
    verdicts, suggestions = data.verdicts(name, now)
    context = {
        "nav": "incidents",
        "incidents": Incident.objects.for_blueprint(name).visible_to(request.user)
        .needing_attention_first()[:INCIDENTS_SHOWN],
        "verdicts": [(v, data.band_per_hour(v.expectation)) for v in verdicts],
        "suggestions": suggestions,
        # The same blueprint name in several connected accounts: say whose each expectation is.
        "many_connections": len({v.expectation.connection_id for v in verdicts}) > 1,
        "hourly": data.hourly(name, request.user, now),
        "matrix": data.matrix(name, request.user),
        "can_manage": request.user.has_perm(MONITORS),
        "blueprint_in_plannr": services.plannr_link(name),
        "blueprint_name": name,
        **table_context(request, data.EXECUTIONS, name),
    }
    context["band"] = max((b for _, b in context["verdicts"] if b is not None), default="")
    return render(request, "expectations/blueprint.html", context)


@require_GET
@login_required
def blueprint_rows(request, name):
    return live_table(request, data.EXECUTIONS, name)


@require_POST
@login_required
def suggest(request, name):
    """Learn a volume expectation from the blueprint's history; shown until an Admin accepts it."""
    blueprint_uuid = services.uuid_of(name)
    if blueprint_uuid is None:
        messages.error(request, "This blueprint's uuid is not known: add a blueprint monitor or an expectation first.")
    else:
        try:
            suggestions.suggest(blueprint_uuid, name)
        except suggestions.NoSuggestion as exc:
            messages.error(request, str(exc))
    return redirect("expectations:blueprint", name)


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
    return redirect("expectations:blueprint", expectation.blueprint_name)
