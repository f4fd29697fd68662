"""The watchlist page: the user's watches as a table (ui/watchlist.py declares it), the
paste form that adds watches, and the htmx partials that keep it live (ui/owned.py).

Live regions are refreshed by an element inside the region itself (the
"poller"): static/js/app.js fires its `refresh` event on a cadence that slows
down in hidden tabs. The poller sends the fingerprint of what the client shows;
when the data behind it is unchanged the answer is 204 and htmx swaps nothing.
Polling stops by rendering the region without a poller (not by status 286),
which keeps a later move to htmx 4 easy.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from executions import watching

from .forms import WatchPasteForm
from dashboard.htmx import login_required
from .owned import live_table, table_context
from .watchlist import WATCHES, forget_counts


# --- Watchlist ---------------------------------------------------------------------


@dataclass
class PasteReport:
    """What a paste did, line by line, for the message under the form."""

    added: list = field(default_factory=list)  # Watch
    already_watched: list = field(default_factory=list)  # UUID
    invalid: list = field(default_factory=list)  # paste.InvalidToken
    duplicates: list = field(default_factory=list)  # paste.Duplicate

    @property
    def has_problems(self):
        return bool(self.already_watched or self.invalid or self.duplicates)


def _pop_undo(request):
    undo = request.session.pop("undo_unwatch", None)
    if not undo or undo.get("until", 0) < timezone.now().timestamp():
        return None
    return {**undo, "seconds": max(1, round(undo["until"] - timezone.now().timestamp()))}


def _render_watchlist(request, form, report=None):
    context = {
        **table_context(request, WATCHES, request.user),
        "form": form,
        "report": report,
        "paste_limit": settings.WATCH_PASTE_LIMIT,
        "undo": _pop_undo(request),
    }
    return render(request, "executions/watchlist.html", context)


@require_GET
@login_required
def watchlist(request):
    return _render_watchlist(request, WatchPasteForm())


@require_GET
@login_required
def watchlist_rows(request):
    return live_table(request, WATCHES, request.user)


@require_POST
@login_required
def add_watches(request):
    form = WatchPasteForm(request.POST)
    report = None
    if form.is_valid():
        parsed, label = form.cleaned_data["uuids"], form.cleaned_data["label"]
        result = watching.watch_executions(
            request.user, parsed.uuids, label, connection=form.cleaned_data.get("connection")
        )
        forget_counts(request.user)
        report = PasteReport(
            added=result.created,
            already_watched=result.already_watched,
            invalid=parsed.invalid,
            duplicates=parsed.duplicates,
        )
        # Keep only what could not be added, ready to be corrected and sent again.
        leftover = "\n".join(token.text for token in parsed.invalid)
        form = WatchPasteForm(initial={"uuids": leftover, "label": label if leftover else ""})
    if request.htmx:
        response = render(
            request,
            "executions/_add_form.html",
            {"form": form, "report": report, "paste_limit": settings.WATCH_PASTE_LIMIT},
        )
        if report and report.added:
            trigger_client_event(response, "watches-changed")
        return response
    if report and not report.has_problems:
        messages.success(request, f"Now watching {len(report.added)} more execution(s).")
        return redirect("executions:watchlist")
    return _render_watchlist(request, form, report)
