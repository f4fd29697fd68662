"""The poll-health page (Admins only, by the rules in accounts/rules.py): is each Plannr
connection working, and how far behind is polling (executions/health.py computes it).

"Retry now" tests every broken connection at once, for when the token was fixed on Plannr's side.
The region refreshes like every live region and answers 204 when nothing changed.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from executions import polling
from executions.health import poll_health as current_health

from dashboard.htmx import fingerprint, login_required, refresh_context, unchanged


def _fingerprint(health):
    return fingerprint(
        [(c.pk, c.name, c.broken_since, c.broken_reason, c.last_success, c.paused, c.expires_at)
         for c in health.connections],
        health.scheduled, health.due, health.in_flight, health.paused, health.lag_seconds,
    )


def _context(health, known=None):
    return {"health": health, "fingerprint": known or _fingerprint(health), **refresh_context()}


@login_required
def poll_health(request):
    return render(request, "executions/poll_health.html", _context(current_health(timezone.now())))


@login_required
def poll_health_live(request):
    health = current_health(timezone.now())
    known = _fingerprint(health)
    if not_modified := unchanged(request, known):
        return not_modified
    return render(request, "executions/_poll_health.html", _context(health, known))


@require_POST
@login_required
def poll_health_retry(request):
    restored = polling.retry_now()
    messages.success(request, f"Tested every broken connection: {restored} restored; their executions are due now.")
    return redirect("executions:poll_health")
