"""The action-link pages, and the Admins' routes page."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

import audit
from accounts.rules import TRIAGE
from incidents import services
from incidents.models import Incident

from . import actions, routes as route_services
from .models import BlueprintSeverity, Route, Severity, UsedActionLink

VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}


def _refuse(request, message, status=400):
    return render(request, "routing/action_refused.html", {"message": message}, status=status)


def action(request, token):
    """GET: the confirmation page (changes nothing). POST: the action, once, as the signed-in user."""
    try:
        incident_id, name, nonce = actions.read(token)
    except actions.Invalid as exc:
        return _refuse(request, str(exc))
    if not request.user.has_perm(TRIAGE):
        return _refuse(request, "Your account may not acknowledge or resolve incidents: ask an Operator.", 403)
    incident = Incident.objects.visible_to(request.user).filter(pk=incident_id).first()
    if incident is None:
        return _refuse(request, "This incident does not exist, or your account cannot see it.", 404)
    if UsedActionLink.objects.filter(nonce=nonce).exists():
        return _refuse(request, "This link has already been used. Open the incident to see where it stands.", 409)
    context = {"incident": incident, "action": name, "verb": VERBS[name]}
    if request.method != "POST":
        return render(request, "routing/action_confirm.html", context)
    now = timezone.now()
    try:
        with transaction.atomic():
            UsedActionLink.objects.create(nonce=nonce, incident=incident, action=name, used_by=request.user,
                                          used_at=now)
            audit.record("incident.action_link", actor=request.user, target=f"incident:{incident.pk}",
                         after={"action": name})
            services.ACTIONS[name](incident, request.user, now=now)
    except IntegrityError:  # the same link, posted twice at once: the second one loses
        return _refuse(request, "This link has already been used. Open the incident to see where it stands.", 409)
    messages.success(request, f"Incident #{incident.pk}: {name}d." if name == "resolve"
                     else f"Incident #{incident.pk}: acknowledged.")
    return redirect("incidents:detail", incident.pk)


def routes(request):
    context = {
        "routes": route_services.listing(),
        "marks": BlueprintSeverity.objects.order_by("blueprint_name"),
        "severities": Severity.choices,
    }
    return render(request, "routing/routes.html", context)


@require_POST
def delete_route(request, pk):
    route = get_object_or_404(Route, pk=pk)
    route_services.delete(route)
    messages.success(request, f"Route {pk} deleted.")
    return redirect("routing:routes")


@require_POST
def mark_severity(request):
    name = (request.POST.get("blueprint") or "").strip()[:500]
    severity = request.POST.get("severity") or ""
    if not name or severity not in (set(Severity.values) | {""}):
        raise Http404("Unknown blueprint or severity.")
    route_services.mark_blueprint(name, severity)
    messages.success(request, f"{name}: {severity or 'unmarked'}.")
    return redirect("routing:routes")
