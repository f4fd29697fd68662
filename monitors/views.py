"""The overview, the monitors page, and each monitor's executions, with their htmx partials.

Every signed-in user sees every monitor (they belong to the organisation);
creating, changing and deleting one needs the Admin role's permission
`accounts.manage_monitors` (accounts/rules.py), checked by the services in
`services.py`. Subscribing and muting are each user's own.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.rules import MONITORS as MANAGE_MONITORS
from dashboard import errors
from dashboard.htmx import login_required, refresh_context, unchanged
from ui.owned import live_table, table_context

from . import services, subscriptions, summary
from .forms import MonitorForm, PauseForm
from .listing import FINDINGS
from .models import Monitor


def _perms(user):
    return {
        "can_add": user.has_perm(MANAGE_MONITORS),
        "can_change": user.has_perm(MANAGE_MONITORS),
        "can_delete": user.has_perm(MANAGE_MONITORS),
    }


# --- Overview -------------------------------------------------------------------------------


@require_GET
@login_required
def overview(request):
    data = summary.overview(request.user, timezone.now())
    return render(request, "monitors/overview.html", {"data": data, **refresh_context()})


@require_GET
@login_required
def overview_live(request):
    data = summary.overview(request.user, timezone.now())
    if not_modified := unchanged(request, data.fingerprint):
        return not_modified
    return render(request, "monitors/_overview.html", {"data": data, **refresh_context()})


# --- Monitors page ------------------------------------------------------------------------------


def _list_context(request):
    now = timezone.now()
    rows = summary.monitor_rows(request.user, now)
    return {"rows": rows, "fingerprint": summary.rows_fingerprint(rows, now), **_perms(request.user), **refresh_context()}


@require_GET
@login_required
def monitor_list(request):
    return render(request, "monitors/list.html", {**_list_context(request)})


@require_GET
@login_required
def monitor_list_live(request):
    context = _list_context(request)
    if not_modified := unchanged(request, context["fingerprint"]):
        return not_modified
    return render(request, "monitors/_monitors.html", context)


def _after_action(request, message):
    """htmx: the refreshed monitors table; otherwise back to the page with a message."""
    if request.htmx:
        context = _list_context(request)
        context["notice"] = message
        return render(request, "monitors/_monitors.html", context)
    messages.success(request, message)
    return redirect("monitors:list")


@require_http_methods(["GET", "POST"])
@login_required
def monitor_new(request):
    if not request.user.has_perm(MANAGE_MONITORS):
        raise PermissionDenied("You may not add monitors.")
    form = MonitorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            monitor = services.create_monitor(form.spec(), creator=request.user, by=request.user)
        except services.MonitorError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Monitor “{monitor.name}” created: its first sweep runs within a minute.")
            return redirect("monitors:detail", pk=monitor.pk)
    return render(request, "monitors/form.html", {"form": form, "monitor": None})


@require_http_methods(["GET", "POST"])
@login_required
def monitor_edit(request, pk):
    monitor = get_object_or_404(Monitor, pk=pk)
    if not request.user.has_perm(MANAGE_MONITORS):
        raise PermissionDenied("You may not change monitors.")
    form = MonitorForm(request.POST or None, initial=MonitorForm.initial_for(monitor))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_monitor(monitor, form.spec(), by=request.user)
        except services.MonitorError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Monitor “{monitor.name}” saved.")
            return redirect("monitors:detail", pk=monitor.pk)
    return render(request, "monitors/form.html", {"form": form, "monitor": monitor})


@require_POST
@login_required
def monitor_pause(request, pk):
    monitor = get_object_or_404(Monitor, pk=pk)
    form = PauseForm(request.POST)
    if not form.is_valid():
        message = "Give the end of the pause as a date and time, or leave it empty."
        if "until" in form.errors and errors.OFFSET_MESSAGE in form.errors["until"][0]:
            message = f"{form.errors['until'][0]} {message}"
        if request.htmx:
            context = _list_context(request)
            context["notice_error"] = message
            return render(request, "monitors/_monitors.html", context)
        raise errors.BadInput(message)
    until = form.cleaned_data["until"]
    services.pause(monitor, by=request.user, until=until)
    text = f"paused until {timezone.localtime(until):%d %b %Y %H:%M}" if until else "paused"
    return _after_action(request, f"Monitor “{monitor.name}” {text}.")


@require_POST
@login_required
def monitor_resume(request, pk):
    monitor = get_object_or_404(Monitor, pk=pk)
    services.resume(monitor, by=request.user)
    return _after_action(request, f"Monitor “{monitor.name}” resumed.")


@require_POST
@login_required
def monitor_delete(request, pk):
    monitor = get_object_or_404(Monitor, pk=pk)
    name = monitor.name
    services.delete_monitor(monitor, by=request.user)
    messages.success(request, f"Monitor “{name}” deleted.")
    return redirect("monitors:list")


@require_POST
@login_required
def monitor_subscription(request, pk):
    """The viewer's own subscription: subscribe, unsubscribe, mute or unmute."""
    monitor = get_object_or_404(Monitor, pk=pk)
    action = request.POST.get("action", "")
    if action == "subscribe":
        subscriptions.subscribe(monitor, request.user)
        message = f"You are subscribed to “{monitor.name}”."
    elif action == "unsubscribe":
        subscriptions.unsubscribe(monitor, request.user)
        message = f"You are no longer subscribed to “{monitor.name}”."
    elif action in ("mute", "unmute"):
        subscriptions.subscribe(monitor, request.user, muted=action == "mute")
        message = f"Alerts from “{monitor.name}” {'muted' if action == 'mute' else 'unmuted'}."
    else:
        messages.error(request, "Unknown action.")
        return redirect("monitors:list")
    return _after_action(request, message)


# --- One monitor's executions -----------------------------------------------------------------


@require_GET
@login_required
def monitor_detail(request, pk):
    monitor = get_object_or_404(Monitor, pk=pk)
    context = {
        "nav": "monitors",
        "monitor": monitor,
        "subscription": subscriptions.subscription_of(monitor, request.user),
        "paused": monitor.is_paused(timezone.now()),
        "blueprint_in_plannr": monitor.connection.link("blueprint", blueprint_uuid=str(monitor.blueprint_uuid or "")),
        **_perms(request.user),
        **table_context(request, FINDINGS, monitor),
    }
    return render(request, "monitors/detail.html", context)


@require_GET
@login_required
def monitor_rows(request, pk):
    return live_table(request, FINDINGS, get_object_or_404(Monitor.objects.only("pk"), pk=pk))
