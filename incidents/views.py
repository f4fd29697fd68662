"""The incidents list and incident page, their htmx partials, and the actions.

Every action goes through incidents.services (the same functions the command
and the API call). A user sees the incidents that touch an execution they
watch; staff see all. Live regions refresh through ui/htmx.py: the
poller sends the fingerprint of what it shows and gets a 204 when nothing changed.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Sum
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import triagers
from dashboard.errors import ids
from dashboard.htmx import fingerprint as make_fingerprint
from dashboard.htmx import is_partial, login_required, push_url, refresh_context, unchanged
from ui.owned import live_table, table_context

from . import charts, scopes, services
from .listing import OCCURRENCES, affected, connections_context
from .models import Incident, Occurrence, Severity, Status

PAGE_SIZE = 50
CLIENTS_SHOWN = 20
HISTORY_SHOWN = 50
RAW_SHOWN = 10_000
BULK_ACTIONS = {"acknowledge": services.acknowledge, "resolve": services.resolve, "ignore": services.ignore}
# The severity filter: at least this severity, most severe first.
SEVERITIES = Severity.values


def _clean(value, limit=200):
    """Query text as a filter value: NUL and other control characters mean nothing here."""
    return "".join(ch for ch in (value or "") if ch.isprintable())[:limit].strip()


def _filters(request):
    status = _clean(request.GET.get("status"))
    if status not in Status.values:
        status = ""
    monitor = _clean(request.GET.get("monitor"), 20)
    if monitor:
        ids([monitor], "the monitor")
    severity = _clean(request.GET.get("severity"), 10)
    if severity not in SEVERITIES:
        severity = ""
    return {
        "status": status,
        "severity": severity,
        "blueprint": _clean(request.GET.get("blueprint"), 500),
        "monitor": monitor,
        "q": _clean(request.GET.get("q")),
    }


def _listed(user, filters):
    return (
        Incident.objects.visible_to(user)
        .with_status(filters["status"])
        .at_least(filters["severity"])
        .for_blueprint(filters["blueprint"])
        .for_monitor(filters["monitor"])
        .search(filters["q"])
    )


@require_GET
@login_required
def incident_list(request):
    filters = _filters(request)
    page_number = _clean(request.GET.get("page")) or "1"
    incidents = _listed(request.user, filters)
    summary = incidents.aggregate(n=Count("id"), versions=Sum("version"), seen=Max("last_seen"))
    fp = make_fingerprint(sorted(summary.items()), sorted(filters.items()), page_number)
    if not_modified := unchanged(request, fp):
        return not_modified
    filter_query = urlencode({k: v for k, v in filters.items() if v})
    page = Paginator(incidents.needing_attention_first().select_related("assignee"), PAGE_SIZE).get_page(page_number)
    lines = charts.sparklines([i.pk for i in page.object_list], timezone.now())
    counts = dict(
        Incident.objects.visible_to(request.user).values_list("status").annotate(n=Count("id")).order_by()
    )
    blueprints = (
        Incident.objects.visible_to(request.user).values_list("blueprint_name", flat=True)
        .distinct().order_by("blueprint_name")[:200]
    )
    context = {
        "page": page,
        "rows": [{"incident": i, "spark": lines[i.pk]} for i in page.object_list],
        "filters": filters,
        "query": urlencode({**filters, "page": page.number}),
        "filter_query": filter_query,
        "statuses": [{"value": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in Status],
        "blueprints": blueprints,
        "severities": SEVERITIES,
        "monitors": scopes.monitors(),
        "fingerprint": fp,
        "bulk_actions": list(BULK_ACTIONS),
        **refresh_context(),
    }
    if not is_partial(request):
        return render(request, "incidents/list.html", context)
    response = render(request, "incidents/_list.html", context)
    if "known" not in request.GET:
        # The user filtered: the address bar follows (the refresh moves nothing).
        push_url(request, response, reverse("incidents:list") + (f"?{filter_query}" if filter_query else ""))
    return response


@require_POST
@login_required
def bulk(request):
    action = request.POST.get("action", "")
    service = BULK_ACTIONS.get(action)
    if service is None:
        return HttpResponseBadRequest("Unknown action.")
    chosen = ids(request.POST.getlist("incident"), "incidents")[:PAGE_SIZE * 4]
    back = request.POST.get("next", "")
    back_url = f"{reverse('incidents:list')}?{back}" if back.isprintable() and len(back) < 1000 else "incidents:list"
    if not chosen:
        messages.error(request, f"Nothing to {action}: tick one or more incidents first.")
        return redirect(back_url)
    changed = 0
    for incident in Incident.objects.visible_to(request.user).filter(pk__in=chosen):
        service(incident, by=request.user)
        changed += 1
    messages.success(request, f"{changed} incident{'s' if changed != 1 else ''}: {action}d.")
    return redirect(back_url)


def _incident_for(request, pk):
    return get_object_or_404(Incident.objects.visible_to(request.user).select_related("assignee", "status_changed_by"), pk=pk)


def _live_context(request, incident):
    """The incident's facts, actions and history: what changes when its version does."""
    fp = make_fingerprint(incident.pk, incident.version)
    return fp, {
        "incident": incident,
        "fingerprint": fp,
        "statuses": Status,
        "history": incident.history.select_related("by")[:HISTORY_SHOWN],
        "assignees": triagers().only("pk", "username") if request.user.has_perm("accounts.triage_incidents") else (),
        **refresh_context(),
    }


@require_GET
@login_required
def detail(request, pk):
    incident = _incident_for(request, pk)
    fp, context = _live_context(request, incident)
    if request.htmx and request.GET.get("part") == "live":
        if not_modified := unchanged(request, fp):
            return not_modified
        return render(request, "incidents/_live.html", context)
    context.update(table_context(request, OCCURRENCES, incident))
    context.update(
        {
            "clients": affected(incident, request.user).values("client_name").annotate(n=Count("id")).order_by("-n", "client_name")[:CLIENTS_SHOWN],
            "raw_sample": incident.sample_info[:RAW_SHOWN],
            "raw_cut": max(len(incident.sample_info) - RAW_SHOWN, 0),
            "timeline": charts.timeline(incident.pk, timezone.now()),
            **connections_context(incident, request.user),
        }
    )
    return render(request, "incidents/detail.html", context)


@require_GET
@login_required
def rows(request, pk):
    """The affected executions' table, as the watchlist's and a monitor's: filtered, sorted, live."""
    return live_table(request, OCCURRENCES, _incident_for(request, pk))


def _act(incident, action, request):
    user = request.user
    if action == "snooze_1h":
        return services.snooze(incident, by=user, duration=timedelta(hours=1))
    if action == "snooze_1d":
        return services.snooze(incident, by=user, duration=timedelta(days=1))
    if action == "snooze_n":
        raw = request.POST.get("occurrences", "")
        if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
            raise ValueError("Snooze for a whole number of occurrences, 1 or more.")
        return services.snooze(incident, by=user, occurrences=int(raw))
    if action == "unassign":
        return services.assign(incident, by=user, to=None)
    if action == "assign":
        raw = request.POST.get("assignee", "")
        if not raw.isascii() or not raw.isdigit():
            raise ValueError("Choose whom to assign it to.")
        assignee = get_user_model().objects.filter(pk=int(raw), is_active=True).first()
        if assignee is None:
            raise ValueError("Choose whom to assign it to.")
        return services.assign(incident, by=user, to=assignee)  # which checks they may triage
    service = services.ACTIONS.get(action)
    if service is None:
        raise ValueError("Unknown action.")
    return service(incident, by=user)


@require_POST
@login_required
def act(request, pk):
    incident = _incident_for(request, pk)
    try:
        incident = _act(incident, request.POST.get("action", ""), request)
    except ValueError as exc:
        if request.htmx:
            return HttpResponseBadRequest(str(exc))
        messages.error(request, str(exc))
        return redirect("incidents:detail", pk=pk)
    except PermissionDenied:
        raise
    if request.htmx:
        _, context = _live_context(request, incident)
        return render(request, "incidents/_live.html", context)
    messages.success(request, f"Incident #{incident.pk} is {incident.get_status_display().lower()}.")
    return redirect("incidents:detail", pk=pk)


@require_GET
@login_required
def for_execution(request, uuid):
    """The latest incident an execution the user may see belongs to."""
    occurrence = (
        Occurrence.objects.filter(execution__uuid=uuid, incident__in=Incident.objects.visible_to(request.user))
        .order_by("-detected_at", "-id")
        .first()
    )
    if occurrence is None:
        messages.info(request, "That execution is in no incident you can see.")
        return redirect("incidents:list")
    return redirect("incidents:detail", pk=occurrence.incident_id)
