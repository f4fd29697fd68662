"""The blueprint page: executions failing first, incidents, expectations and the run × step matrix."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.htmx import login_required, refresh_context, unchanged
from executions.rows import rendered_rows
from executions.watchlist import Params
from incidents.models import Incident

from . import blueprint as data

INCIDENTS_SHOWN = 20


def _rows_context(request, name, refresh=False):
    page = data.executions_page(name, request.user, Params.from_query(request.GET), refresh=refresh)
    return {
        "blueprint_name": name,
        "data": page,
        "params": page.params,
        "owner_pk": f"{data.blueprint_key(name)}",
        "page_url": reverse("expectations:blueprint", args=[name]),
        "rows_url": reverse("expectations:blueprint_rows", args=[name]),
        **refresh_context(),
    }


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
        "hourly": data.hourly(name, request.user, now),
        "matrix": data.matrix(name, request.user),
        **_rows_context(request, name),
    }
    context["band"] = max((b for _, b in context["verdicts"] if b is not None), default="")
    context["rows"] = rendered_rows(context["data"])
    return render(request, "expectations/blueprint.html", context)


@require_GET
@login_required
def blueprint_rows(request, name):
    known = request.GET.get("known")
    context = _rows_context(request, name, refresh=bool(known))
    if not_modified := unchanged(request, context["data"].fingerprint):
        return not_modified
    context["rows"] = rendered_rows(context["data"])
    response = render(request, "expectations/_executions.html", context)
    if not known:
        query = context["params"].query_string()
        response["HX-Push-Url"] = context["page_url"] + (f"?{query}" if query else "")
    return response
