"""Monitoring the monitor: the periodic check of every connection (beat, `check_connections`).

- Degraded: no successful request for 3 poll intervals while executions are due counts
  as broken (a network failure, an IP allow-list change, endless 5xx). Polling goes on,
  so the first success restores it.
- Reminders: a broken connection is told again every CONNECTION_REMINDER_HOURS.
- Expiry: a token whose expiry date is 14 days away, then 3, is told once at each.
Each notice is a conditional UPDATE plus the `connection_event` signal in one transaction.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import services
from .models import EXPIRY_WARNINGS_DAYS, BreakKind, Connection
from .signals import connection_event

logger = logging.getLogger("connections")

DEGRADED_INTERVALS = 3


def check(now=None):
    """One pass over every connection. Returns what it told: {"degraded": n, "reminders": n, "expiring": n}."""
    now = now or timezone.now()
    told = {"degraded": 0, "reminders": 0, "expiring": 0}
    for connection in Connection.objects.filter(paused=False):
        if connection.broken_since is None:
            told["degraded"] += _degraded(connection, now)
        else:
            told["reminders"] += _remind(connection, now)
        told["expiring"] += _expiring(connection, now)
    return told


def _degraded(connection, now):
    quiet_since = now - dt.timedelta(seconds=DEGRADED_INTERVALS * settings.POLL_INTERVAL_SECONDS)
    last = connection.last_success or connection.updated_at
    if last is None or last >= quiet_since:
        return 0
    if not connection.executions.filter(next_poll_at__lte=quiet_since).exists():
        return 0
    when = connection.last_success.isoformat(timespec="seconds") if connection.last_success else "it was set up"
    return services.mark_broken(connection.pk, f"No successful request to Plannr since {when}", now,
                                kind=BreakKind.DEGRADED)


def _remind(connection, now):
    due = now - dt.timedelta(hours=settings.CONNECTION_REMINDER_HOURS)
    last = connection.last_alerted_at or connection.broken_since
    if last > due:
        return 0
    with transaction.atomic():
        claimed = Connection.objects.filter(pk=connection.pk, broken_since=connection.broken_since).filter(
            last_alerted_at=connection.last_alerted_at
        ).update(last_alerted_at=now)
        if claimed:
            connection_event.send(sender=Connection, connection=connection, event="reminder", now=now)
    return claimed


def _expiring(connection, now):
    if connection.expires_at is None:
        return 0
    days = (connection.expires_at - timezone.localdate(now)).days
    # The nearest threshold reached and not told yet (14, then 3).
    due = [d for d in EXPIRY_WARNINGS_DAYS if days <= d and (connection.expiry_warned_days or 10**6) > d]
    if not due:
        return 0
    threshold = min(due)
    with transaction.atomic():
        claimed = Connection.objects.filter(
            pk=connection.pk, expiry_warned_days=connection.expiry_warned_days
        ).update(expiry_warned_days=threshold)
        if claimed:
            connection_event.send(sender=Connection, connection=connection, event="expiring", now=now,
                                  days=max(days, 0))
    return claimed
