"""Channel pages: list, add, detail with the delivery log, test message, Teams confirmation.

A user sees and manages their own channels; organisation channels are for users
with accounts.manage_org_channels (Admins). Anyone else gets a 404, not a 403, so ids
reveal nothing. Targets are shown masked; a webhook's signing secret is shown
once, on the page after the form that created it (handed over encrypted in the
session and removed as it is shown).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.errors import ids
from monitors.models import Monitor
from dashboard.htmx import fingerprint as make_fingerprint
from dashboard.htmx import login_required, refresh_context, unchanged

from dashboard import crypto

from . import outbox, services
from .forms import HELP, PERMISSION, ChannelForm, kinds_for
from .models import Channel, Delivery, Kind, Topic
from .tasks import enqueue_deliveries

LOG_SIZE = 50
NEW_SECRET = "channels:new-secret"


def _channel(request, pk):
    channel = Channel.objects.visible_to(request.user).filter(pk=pk).select_related("owner").first()
    if channel is None:
        raise Http404("No such channel.")
    return channel


@require_GET
@login_required
def channel_list(request):
    channels = Channel.objects.visible_to(request.user).order_by("owner_id", "name", "pk")
    return render(request, "channels/list.html", {
        "own": [c for c in channels if c.owner_id is not None],
        "organisation": [c for c in channels if c.owner_id is None],
        "manages_org": request.user.has_perm(PERMISSION),
        "nav": "channels",
    })


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def add(request):
    """First the kind (links), then that kind's form."""
    allowed = dict(kinds_for(request.user))
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind not in allowed:
        kinds = [(value, label, HELP[value]) for value, label in allowed.items()]
        return render(request, "channels/add_kind.html", {"kinds": kinds, "nav": "channels"})
    form = ChannelForm(request.POST or None, user=request.user, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel, secret = services.create_channel(
                request.user, data["kind"], data["name"], data["target"], data.get("organisation", False)
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if secret:
                # Handed to the next page once, encrypted in the session, so a reload
                # neither re-posts the form (a second channel) nor shows the secret again.
                request.session[NEW_SECRET] = {"channel": channel.pk, "secret": crypto.encrypt(secret)}
                return redirect("channels:created", channel.pk)
            messages.success(request, f"Channel \u201c{channel.name}\u201d added. Send a test message to check it.")
            return redirect("channels:detail", channel.pk)
    return render(request, "channels/add.html", {"form": form, "kind_label": allowed[kind], "nav": "channels"})


@never_cache
@require_GET
@login_required
def created(request, pk):
    channel = _channel(request, pk)
    handed = request.session.get(NEW_SECRET)
    if not handed or handed.get("channel") != channel.pk:
        messages.info(request, "The signing secret was shown once, when the channel was added. "
                               "For a new secret, add a new channel.")
        return redirect("channels:detail", channel.pk)
    del request.session[NEW_SECRET]
    return render(request, "channels/created.html", {"channel": channel, "secret": crypto.decrypt(handed["secret"]),
                                                     "nav": "channels"})


def _log_context(channel):
    return {"channel": channel, "attempts": list(channel.attempts.all()[:LOG_SIZE]), **refresh_context()}


def _log_fingerprint(channel):
    stats = channel.attempts.aggregate(n=Count("id"), latest=Max("id"))
    return make_fingerprint(stats["n"], stats["latest"], channel.state, channel.updated_at)


@require_GET
@login_required
def detail(request, pk):
    channel = _channel(request, pk)
    context = _log_context(channel)
    context.update({
        "fingerprint": _log_fingerprint(channel),
        "latest_test": channel.deliveries.filter(topic=Topic.TEST).first(),
        "help": HELP.get(channel.kind, ""),
        "nav": "channels",
    })
    if channel.is_organisation:
        context["monitors"] = Monitor.objects.order_by("name")
        context["attached"] = set(channel.monitors.values_list("pk", flat=True))
    return render(request, "channels/detail.html", context)


@require_POST
@login_required
def attach_monitors(request, pk):
    channel = _channel(request, pk)
    if not channel.is_organisation:
        raise Http404("Only organisation channels are attached to monitors.")
    chosen = Monitor.objects.filter(pk__in=ids(request.POST.getlist("monitor"), "monitors"))
    services.attach_monitors(channel, list(chosen))
    messages.success(request, "Monitors saved: their incidents are sent to this channel.")
    return redirect("channels:detail", channel.pk)


@require_GET
@login_required
def log(request, pk):
    channel = _channel(request, pk)
    fingerprint = _log_fingerprint(channel)
    if not_modified := unchanged(request, fingerprint):
        return not_modified
    return render(request, "channels/_log.html", {**_log_context(channel), "fingerprint": fingerprint, "refreshed": True})


@require_POST
@login_required
def send_test(request, pk):
    channel = _channel(request, pk)
    message = outbox.request_test(channel, request.user, enqueue_deliveries)
    if request.htmx:
        return render(request, "channels/_test_result.html", {"channel": channel, "test": message,
                                                              **refresh_context()})
    messages.info(request, "Test message queued.")
    return redirect("channels:detail", channel.pk)


@require_GET
@login_required
def test_status(request, pk, test_id):
    channel = _channel(request, pk)
    message = Delivery.objects.filter(pk=test_id, channel=channel, topic=Topic.TEST).first()
    if message is None:
        raise Http404("No such test message.")
    return render(request, "channels/_test_result.html", {"channel": channel, "test": message, **refresh_context()})


@require_POST
@login_required
def confirm(request, pk):
    channel = _channel(request, pk)
    if channel.kind != Kind.TEAMS:
        raise Http404("Only Teams channels are confirmed.")
    arrived = request.POST.get("arrived") == "yes"
    services.confirm_arrival(channel, arrived)
    if arrived:
        messages.success(request, "Confirmed: Teams shows the messages of this channel.")
    else:
        messages.warning(
            request,
            "The test did not arrive although Teams accepted it. The URL is probably a retired Office 365 "
            "connector: create a Workflows webhook and add it as a new channel.",
        )
    return redirect("channels:detail", channel.pk)


@require_POST
@login_required
def delete(request, pk):
    channel = _channel(request, pk)
    name = channel.name
    services.delete_channel(channel)
    messages.success(request, f"Channel \u201c{name}\u201d deleted.")
    return redirect("channels:list")
