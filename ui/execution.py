"""The execution page, its live region and actions (poll now, label, unwatch, watch again),
and a step's full `info`.

The live region refreshes as the watchlist's does (ui/views.py): the poller sends the
fingerprint of what it shows and gets 204 when nothing changed. Its HTML is rendered once
per fingerprint and minute, and its steps come from the step cache (ui/steps.py).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from kombu.exceptions import OperationalError

from accounts import visibility
from executions import tasks, watching
from executions.models import Execution, PollState, Watch

from .forms import LabelForm
from dashboard.htmx import fingerprint, login_required, refresh_context, unchanged
from .page import minute_bucket
from .steps import rendered_steps
from .watchlist import forget_counts

logger = logging.getLogger("ui.execution")

HISTORY_LIMIT = 100
# How long "Undo" is offered after unwatching.
UNDO_SECONDS = 10
# Executions this session stopped watching, remembered so that their pages stay readable.
UNWATCHED_REMEMBERED = 50
# A rendered execution page region is reused while its fingerprint holds, within the minute.
LIVE_CACHE_SECONDS = 125
# After "poll now" the page keeps refreshing until the poll lands (at most this
# long), even for a finished and confirmed execution that no longer refreshes.
AWAIT_POLL_SECONDS = 60


# --- Execution page --------------------------------------------------------------------


def _watch_for(request, uuid, *, shared=False):
    """The user's own watch of this execution; anyone else's execution is a 404.

    `shared`: an execution a monitor found belongs to the organisation, so every
    signed-in user may see it; without a watch of theirs they get an unsaved one.
    """
    watches = Watch.objects.select_related("execution__connection")
    if not shared:
        return get_object_or_404(watches, user=request.user, execution__uuid=uuid)
    watch = watches.filter(user=request.user, execution__uuid=uuid).first()
    if watch is None:
        watch = Watch(user=request.user, execution=get_object_or_404(visibility.shared_executions(), uuid=uuid))
    return watch


def _parse_awaiting(raw):
    try:
        return datetime.fromtimestamp(float(raw), tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@dataclass
class LiveState:
    live: bool
    awaiting: datetime | None
    fingerprint: str
    polling: bool = False


def _live_state(watch, awaiting, now=None, execution=None):
    """What the live region shows and whether it keeps refreshing; `watch` is None once unwatched."""
    e = execution or watch.execution
    now = now or timezone.now()
    if awaiting is not None and (now - awaiting > timedelta(seconds=AWAIT_POLL_SECONDS) or awaiting > now):
        awaiting = None
    if awaiting is not None and e.last_polled_at is not None and e.last_polled_at >= awaiting:
        awaiting = None  # the requested poll has landed
    # Nothing polls an execution nobody watches: its page shows the last known state, still.
    # Nor one Plannr does not know, once polling gave up on it (scheduling.after_error).
    given_up = e.next_poll_at is None and e.poll_state == PollState.NOT_FOUND
    live = watch is not None and (not (e.final_confirmed or given_up) or awaiting is not None)
    # The claim writes "last polled" in advance: until its batch reports, say "polling…".
    polling = e.claim_token is not None and Execution.objects.stale_claims().filter(pk=e.pk).exists()
    c = e.connection
    fp = fingerprint(
        e.pk, e.version, e.updated_at, e.payload_hash, e.status, e.last_polled_at, e.next_poll_at,
        e.poll_state, e.last_poll_error, e.consecutive_errors, e.final_confirmed,
        watch and (watch.pk, watch.updated_at, watch.label), live, polling,
        (c.name, c.broken_since, c.break_kind, c.paused, c.execution_url_template, c.client_url_template),
    )
    return LiveState(live=live, awaiting=awaiting, fingerprint=fp, polling=polling)


def _live_context(watch, execution, state, **extra):
    e = execution
    # Plain values: a hundred model instances cost more than the query.
    history = list(e.snapshots.values("fetched_at", "changes")[: HISTORY_LIMIT + 1])
    connection = e.connection
    return {
        "watch": watch,
        "execution": e,
        # The connection is named when there is more than one; a broken one says so instead of stale states.
        "connection": connection,
        "many_connections": type(connection).objects.count() > 1,
        "plannr_links": connection.execution_links(e),
        # Each step's HTML, mostly from the step cache: steps rarely change once run.
        "steps": rendered_steps(e),
        "history": history[:HISTORY_LIMIT],
        "history_truncated": len(history) > HISTORY_LIMIT,
        "history_limit": HISTORY_LIMIT,
        "state": state,
        "awaiting_ts": f"{state.awaiting.timestamp():.3f}" if state.awaiting else "",
        **refresh_context(),
        **extra,
    }


def _live_html(request, watch, execution, state):
    """The live region's HTML as UTF-8, rendered once per fingerprint (and minute, for relative times).

    The fingerprint covers everything the region shows, so a page with hundreds of
    steps is rendered once per change, not once per visitor or refresh (and then
    mostly from the step cache: ui/steps.py). Kept encoded: it is sent as it is.
    """
    awaiting_ts = f"{state.awaiting.timestamp():.3f}" if state.awaiting else ""
    key = "live-utf8:" + fingerprint(
        state.fingerprint, awaiting_ts, timezone.get_current_timezone_name(), minute_bucket()
    )
    html = cache.get(key)
    if html is None:
        context = _live_context(watch, execution, state)
        html = render_to_string("executions/_execution_live.html", context, request=request).encode()
        cache.set(key, html, LIVE_CACHE_SECONDS)
    return html


# Where execution.html puts the live region: replaced after rendering (_page_with_region).
_REGION_MARK = "<!-- the live region -->"


def _page_with_region(request, context, region):
    """The execution page, with its live region (UTF-8, from _live_html) put in after rendering.

    A long execution's region is hundreds of KB. Rendered inside the page template it
    was copied at every level of the template's nesting (each joins its parts into a new
    string, two bytes a character for the region's ✓ and “ ”): for 600 steps that cost
    more than the rest of the page. Here it is copied once. The marker holds a "<",
    which escaped text never does, so the only match is the template's own.
    """
    context = {**context, "live_html": mark_safe(_REGION_MARK)}
    page = render_to_string("executions/execution.html", context, request=request)
    before, marker, after = page.partition(_REGION_MARK)
    if not marker:
        raise RuntimeError("executions/execution.html does not show live_html")
    return HttpResponse(b"".join((before.encode(), region, after.encode())))


@require_GET
@login_required
def execution_detail(request, uuid):
    watch = Watch.objects.select_related("execution__connection").filter(user=request.user, execution__uuid=uuid).first()
    if watch is None:
        found = visibility.shared_executions().filter(uuid=uuid).first()
        if found is None:
            return _unwatched_page(request, uuid)
        # A monitor's execution belongs to the organisation: everyone sees it, without a watch.
        watch = Watch(user=request.user, execution=found)
    state = _live_state(watch, None)
    context = {"watch": watch, "execution": watch.execution, "label_form": LabelForm(instance=watch)}
    return _page_with_region(request, context, _live_html(request, watch, watch.execution, state))


def _unwatched_page(request, uuid):
    """Not watched: the last known state for someone who may see it, else a page that says why
    there is nothing to see (404, and the same words whether or not the execution exists)."""
    execution = Execution.objects.filter(uuid=uuid).first()
    if execution is None or not visibility.may_read_execution(request, execution):
        return render(request, "executions/not_watched.html", {"uuid": uuid}, status=404)
    state = _live_state(None, None, execution=execution)
    context = {"watch": None, "execution": execution}
    return _page_with_region(request, context, _live_html(request, None, execution, state))


@require_GET
@login_required
def execution_live(request, uuid):
    watch = _watch_for(request, uuid, shared=True)
    state = _live_state(watch, _parse_awaiting(request.GET.get("awaiting")))
    if not_modified := unchanged(request, state.fingerprint):
        return not_modified
    return HttpResponse(_live_html(request, watch, watch.execution, state))


@require_POST
@login_required
def execution_poll(request, uuid):
    watch = _watch_for(request, uuid, shared=True)
    requested = timezone.now()
    try:
        tasks.poll_now.delay([watch.execution_id])
    except OperationalError:
        logger.exception("could not queue poll_now", extra={"execution": str(watch.execution.uuid)})
        notice = ("error", "The poll could not be queued: the task queue is unreachable. Try again shortly.")
        requested = None
    else:
        notice = ("ok", "Poll requested: the result shows here within seconds.")
    if not request.htmx:
        (messages.success if requested else messages.error)(request, notice[1])
        return redirect("executions:detail", uuid=uuid)
    state = _live_state(watch, requested, now=requested)
    context = _live_context(watch, watch.execution, state, notice=notice)
    return render(request, "executions/_execution_live.html", context)


@require_POST
@login_required
def execution_label(request, uuid):
    watch = _watch_for(request, uuid)
    form = LabelForm(request.POST, instance=watch)
    saved = form.is_valid()
    if saved:
        form.save()
    if not request.htmx:
        if saved:
            messages.success(request, "Label saved.")
        else:
            messages.error(request, " ".join(form.errors.get("label", ["The label could not be saved."])))
        return redirect("executions:detail", uuid=uuid)
    context = {"watch": watch, "label_form": form, "saved": saved}
    return render(request, "executions/_label_form.html", context)


@require_POST
@login_required
def execution_unwatch(request, uuid):
    watch = _watch_for(request, uuid)
    name = watch.execution.name or str(watch.execution.uuid)
    watching.unwatch(watch)
    forget_counts(request.user)
    unwatched = [u for u in request.session.get("unwatched", []) if u != str(uuid)]
    request.session["unwatched"] = [str(uuid), *unwatched][:UNWATCHED_REMEMBERED]
    # No "are you sure?": the watchlist offers to undo it for a few seconds instead.
    request.session["undo_unwatch"] = {
        "uuid": str(uuid), "label": watch.label, "name": name,
        "until": timezone.now().timestamp() + UNDO_SECONDS,
    }
    if request.htmx:
        return HttpResponseClientRedirect(reverse("executions:watchlist"))
    return redirect("executions:watchlist")


@require_GET
@login_required
def step_info(request, uuid, step_uuid):
    """A step's raw `info` as plain text: the page shows only its start when it is long.

    Whoever may read the execution's page may read this: its watcher, anyone for an
    execution a monitor found, and whoever may see it unwatched."""
    execution = Execution.objects.filter(uuid=uuid).first()
    if execution is None or not visibility.may_read_execution(request, execution):
        raise Http404
    step = get_object_or_404(execution.steps.only("info"), uuid=step_uuid)
    # text/plain with the site-wide nosniff: never rendered as HTML, whatever Plannr sent.
    return HttpResponse(step.info, content_type="text/plain; charset=utf-8")


@require_POST
@login_required
def execution_watch(request, uuid):
    """Watch one execution (again): "Watch again" on its page, and "Undo" after unwatching."""
    label = _clean_label(request.POST.get("label", ""))
    result = watching.watch_executions(request.user, [uuid], label)
    forget_counts(request.user)
    if request.POST.get("undo"):
        messages.success(request, "Undone: watching it again.")
        return redirect("executions:watchlist")
    if result.already_watched:
        messages.info(request, "You already watch this execution.")
    elif str(uuid) in request.session.get("unwatched", []):
        messages.success(request, "Watching this execution again: it is polled within seconds.")
    else:
        messages.success(request, "Now watching this execution: it is polled from Plannr within seconds.")
    return redirect("executions:detail", uuid=uuid)


def _clean_label(raw):
    form = LabelForm({"label": raw})
    return form.cleaned_data["label"] if form.is_valid() else ""
