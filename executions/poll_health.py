"""The poll-health page (Admins only, by the rules in accounts/rules.py): is each Plannr
connection working, and how far behind is polling.

"Retry now" tests every broken connection at once, for when the token was fixed on Plannr's side.
The region refreshes like every live region and answers 204 when nothing changed.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ui.htmx import fingerprint, login_required, refresh_context, unchanged

from connections.models import Connection

from . import polling
from .models import Execution


@dataclass
class Health:
    connections: list  # every Connection, with its state
    scheduled: int
    due: int
    in_flight: int
    paused: int
    lag_seconds: int

    @property
    def broken(self):
        return [c for c in self.connections if c.broken_since is not None]

    @property
    def fingerprint(self):
        return fingerprint(
            [(c.pk, c.name, c.broken_since, c.broken_reason, c.last_success, c.paused, c.expires_at)
             for c in self.connections],
            self.scheduled, self.due, self.in_flight, self.paused, self.lag_seconds,
        )


def current_health(now):
    counts = Execution.objects.filter(next_poll_at__isnull=False).aggregate(
        scheduled=Count("pk"),
        due=Count("pk", filter=Q(next_poll_at__lte=now)),
        paused=Count("pk", filter=Q(connection__in=Connection.objects.broken().values("pk"))),
        oldest_due=Min("next_poll_at", filter=Q(next_poll_at__lte=now)),
    )
    oldest = counts.pop("oldest_due")
    return Health(
        connections=list(Connection.objects.all()),
        lag_seconds=int((now - oldest).total_seconds()) if oldest else 0,
        in_flight=Execution.objects.in_flight(now).count(),
        **counts,
    )


def _staff(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _context(health):
    return {"health": health, **refresh_context()}


@_staff
def poll_health(request):
    return render(request, "executions/poll_health.html", _context(current_health(timezone.now())))


@_staff
def poll_health_live(request):
    health = current_health(timezone.now())
    if not_modified := unchanged(request, health.fingerprint):
        return not_modified
    return render(request, "executions/_poll_health.html", _context(health))


@require_POST
@_staff
def poll_health_retry(request):
    restored = polling.retry_now()
    messages.success(request, f"Tested every broken connection: {restored} restored; their executions are due now.")
    return redirect("executions:poll_health")
