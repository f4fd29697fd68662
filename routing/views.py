"""The action-link pages, and the Admins' routes page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

import audit
from accounts.rules import TRIAGE
from incidents import services
from incidents.models import Incident, Severity

from . import actions, routes as route_services
from .models import BlueprintSeverity, Route, UsedActionLink

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


def _page_context():
    from django.contrib.auth import get_user_model

    from channels.models import Channel
    from executions.models import FailureKind
    from monitors.models import Monitor

    return {
        "routes": route_services.listing(),
        "marks": BlueprintSeverity.objects.order_by("blueprint_name"),
        "severities": Severity.choices,
        "families": FailureKind.choices,
        "monitors": Monitor.objects.order_by("name", "pk").values_list("pk", "name"),
        "channels": Channel.objects.filter(owner__isnull=True).values_list("pk", "name", "kind"),
        "users": get_user_model().objects.filter(is_active=True).order_by("username").values_list("username",
                                                                                                  flat=True),
    }


def routes(request):
    return render(request, "routing/routes.html", _page_context())


@require_POST
def add_route(request):
    """The page's form: the same fields as `route add`; escalation steps one per line."""
    data = request.POST

    def number(name):
        value = (data.get(name) or "").strip()
        return int(value) if value.isdigit() else None

    try:
        route = route_services.create(
            name=data.get("name") or "", monitor_id=number("monitor"), blueprint=data.get("blueprint") or "",
            family=data.get("family") or "", min_severity=data.get("min_severity") or "",
            channel_ids=data.getlist("channel"), user_names=data.getlist("user"),
            escalate=[line.strip() for line in (data.get("escalate") or "").splitlines() if line.strip()],
            repeat_minutes=number("repeat_minutes"), max_repeats=number("max_repeats") or 0, actor=request.user,
        )
    except ValidationError as exc:
        return render(request, "routing/routes.html", {**_page_context(), "error": exc.messages[0], "form": data})
    messages.success(request, f"Route {route.pk} added, last in order.")
    return redirect("routing:routes")


@require_POST
def delete_route(request, pk):
    route = get_object_or_404(Route, pk=pk)
    route_services.delete(route)
    messages.success(request, f"Route {pk} deleted.")
    return redirect("routing:routes")


MOVES = {"up": -1, "down": 1}


@require_POST
def move_route(request, pk):
    """The page's Move up / Move down buttons: one place, under the same lock as `route move`."""
    route = get_object_or_404(Route, pk=pk)
    if request.POST.get("direction") not in MOVES:
        return HttpResponseBadRequest("Move a route up or down.")
    try:
        ordered = route_services.move(route.pk, by=MOVES[request.POST["direction"]], actor=request.user)
    except ValidationError as exc:  # already first (or last)
        messages.error(request, exc.messages[0])
        return redirect("routing:routes")
    place = [r.pk for r in ordered].index(route.pk) + 1
    messages.success(request, f"Route {route.pk} is now number {place}.")
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
