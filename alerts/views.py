"""The alerts page (failure events and what happened to each email), settings, mute, opt out.

Every page but opt out needs a login and shows the user's own rows only.
Opt out (of all alert emails) is authenticated by the token in its URL instead, because mail
clients POST to it without a session (RFC 8058 one-click).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.errors import BadInput
from executions.models import Watch
from incidents.models import Occurrence
from dashboard.htmx import fingerprint as make_fingerprint
from dashboard.htmx import is_partial, login_required, refresh_context, unchanged

from channels import outbox
from channels.models import Delivery, DeliveryState
from channels.tasks import enqueue_deliveries

from . import recipients
from .forms import AlertPreferenceForm
from .history import COVERED_BY_STEP
from .models import AlertPreference, FailureEvent, opt_out_hash_of
from .preferences import get_preference

PAGE_SIZE = 50

# The page's filter: which of the user's delivery states each choice shows.
FILTERS = {
    "": ("All", None),
    "problems": ("Retrying or failed", [DeliveryState.RETRYING, DeliveryState.FAILED]),
    "waiting": ("Waiting", [DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.HELD]),
    "sent": ("Sent", [DeliveryState.SENT]),
}


def _heard(user):
    """The executions whose failures the page lists: every one the user watches (muted too:
    the row says why no email came), and every one they hear about through a monitor."""
    return Q(execution_id__in=Watch.objects.filter(user=user).values("execution_id")) | Q(
        execution_id__in=recipients.executions_of(user.pk)
    )


def _mine(user):
    """The user's alert emails (incident alerts and what a digest listed), not the digests themselves."""
    return Delivery.objects.alert_emails().filter(user=user)


def _events_for(user, states):
    """The user's failure events, each listed once: an execution failure caused by its
    step's failure is the same failure, shown by the step's row."""
    if states is None:
        events = FailureEvent.objects.filter(_heard(user))
    else:
        in_state = _mine(user).filter(state__in=states)
        about = Occurrence.objects.filter(incident_id__in=in_state.values("alert__incident_id"))
        events = FailureEvent.objects.filter(_heard(user) & Q(execution_id__in=about.values("execution_id")))
    return (
        events.exclude(suppressed_reason=COVERED_BY_STEP)
        .select_related("execution")
        .prefetch_related(
            Prefetch("execution__watches", queryset=Watch.objects.filter(user=user), to_attr="my_watches"),
        )
        .order_by("-detected_at", "-id")
    )


def _fingerprint(user, key, page_number):
    """Changes whenever anything the events list shows may have changed."""
    deliveries = _mine(user).aggregate(n=Count("id"), latest=Max("updated_at"))
    watches = Watch.objects.filter(user=user)
    events = FailureEvent.objects.filter(_heard(user)).aggregate(
        n=Count("id"), latest=Max("id")
    )
    muted = watches.aggregate(latest=Max("updated_at"))
    return make_fingerprint(sorted(deliveries.items()), sorted(events.items()), muted["latest"], key, page_number)


def _incident_deliveries(user, events):
    """({(execution_id, step_uuid): incident_id}, {incident_id: the user's latest delivery about it})."""
    occurrences = Occurrence.objects.filter(execution_id__in={e.execution_id for e in events})
    incidents = {(o.execution_id, o.step_uuid): o.incident_id for o in occurrences.only("execution_id", "step_uuid", "incident_id")}
    alerted = {}
    deliveries = (
        _mine(user).filter(alert__incident_id__in=set(incidents.values()))
        .select_related("digest", "alert")
        .order_by("-created_at", "-id")
    )
    for delivery in deliveries:
        alerted.setdefault(delivery.alert.incident_id, delivery)
    return incidents, alerted


@require_GET
@login_required
def events(request):
    key = request.GET.get("show", "")
    if key not in FILTERS:
        key = ""
    page_number = request.GET.get("page") or "1"
    fingerprint = _fingerprint(request.user, key, page_number)
    if not_modified := unchanged(request, fingerprint):
        return not_modified
    paginator = Paginator(_events_for(request.user, FILTERS[key][1]), PAGE_SIZE)
    page = paginator.get_page(page_number)
    incidents, alerted = _incident_deliveries(request.user, page.object_list)
    rows = []
    for event in page.object_list:
        incident_id = incidents.get((event.execution_id, event.step_uuid))
        delivery = alerted.get(incident_id)
        watch = event.execution.my_watches[0] if event.execution.my_watches else None
        rows.append({"event": event, "delivery": delivery, "watch": watch, "incident_id": incident_id})
    counts = dict(
        _mine(request.user).values_list("state").annotate(n=Count("id")).order_by()
    )
    context = {
        "page": page,
        "rows": rows,
        "show": key,
        "query": urlencode({"show": key, "page": page.number}),
        "filters": [
            {"key": k, "label": label, "count": sum(counts.get(s, 0) for s in states) if states else None}
            for k, (label, states) in FILTERS.items()
        ],
        "fingerprint": fingerprint,
        "max_attempts": settings.ALERT_MAX_ATTEMPTS,
        **refresh_context(),
    }
    template = "alerts/_events.html" if is_partial(request) else "alerts/events.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def settings_view(request):
    preference = get_preference(request.user)
    form = AlertPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Alert settings saved.")
        return redirect("alerts:settings")
    muted = (
        Watch.objects.filter(user=request.user, muted=True)
        .select_related("execution")
        .order_by("-updated_at")
    )
    paginator = Paginator(muted, PAGE_SIZE)
    context = {
        "form": form,
        "preference": preference,
        "muted": paginator.get_page(request.GET.get("page")),
        "per_hour": settings.ALERT_EMAILS_PER_HOUR,
    }
    # Reaching here with a bound form means it was invalid.
    return render(request, "alerts/settings.html", context, status=400 if form.is_bound else 200)


@require_POST
@login_required
def mute(request, watch_id):
    watch = get_object_or_404(Watch.objects.select_related("execution"), pk=watch_id, user=request.user)
    target = request.POST.get("next", "")
    # A path on this site or nothing, checked before anything changes: redirect() would
    # take a bare word for a URL name, and another site is nobody's way back.
    if target and not (target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )):
        raise BadInput("The page to go back to after muting must be a path on this site. Nothing was changed.")
    watch.muted = request.POST.get("muted") == "1"
    watch.save(update_fields=["muted", "updated_at"])
    if request.htmx:
        return render(request, "alerts/_mute_toggle.html", {"watch": watch})
    messages.success(request, "Alerts muted for that execution." if watch.muted else "Alerts unmuted.")
    return redirect(target or "alerts:settings")


@require_POST
@login_required
def retry(request, delivery_id):
    delivery = get_object_or_404(_mine(request.user), pk=delivery_id)
    if outbox.retry_failed(delivery, enqueue_deliveries):
        messages.success(request, "The alert will be sent again.")
    else:
        messages.info(request, "That alert is not failed any more; nothing to retry.")
    return redirect("alerts:events")


@csrf_exempt  # authenticated by the token; mail clients POST without a session (RFC 8058)
@require_http_methods(["GET", "POST"])
def opt_out(request, token):
    """Turn off all of a user's alert emails from the link in one (List-Unsubscribe)."""
    preference = (
        AlertPreference.objects.filter(opt_out_hash=opt_out_hash_of(token)).select_related("user").first()
    )
    if preference is None:
        return render(request, "alerts/opt_out.html", {"invalid": True}, status=404)
    if request.method == "POST":
        # GET only asks: link scanners fetch every URL in an email, and must not opt anyone out.
        if preference.enabled:
            preference.enabled = False
            preference.save(update_fields=["enabled", "updated_at"])
        return render(request, "alerts/opt_out.html", {"preference": preference, "done": True})
    return render(request, "alerts/opt_out.html", {"preference": preference, "done": False})
