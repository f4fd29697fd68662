"""How polling is doing, from stored rows: the one computation behind the poll-health page,
the overview's "Polling" box and the poll-cycle metrics (metrics/snapshot.py).

`poll_health(now)` reads the scheduled executions in one aggregate and the connections in
one query. The claim figures over every execution (`claimed`, `in_flight`, `last_poll_at`)
cost a scan of the whole table, so they are read on first use, by the page and the metrics
only: the overview, refreshed by every open tab, never pays for them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from connections.models import Connection

from .models import TROUBLE_STATES, Execution, PollState


@dataclass
class PollHealth:
    now: datetime
    connections: list  # every Connection, with its state
    scheduled: int = 0  # executions with a next poll
    due: int = 0  # of those, due now
    waiting: int = 0  # due and not handed to a batch (no live claim)
    lag: float = 0.0  # seconds the oldest due poll is behind; 0 when none is due
    paused: int = 0  # scheduled, waiting for a broken connection
    overdue: int = 0  # behind by more than two poll intervals
    trouble: dict = field(default_factory=dict)  # poll state label -> scheduled executions in it
    # A claim writes "last polled" in advance: this is the last poll whose batch reported.
    last_reported_poll: datetime | None = None
    under_way: int = 0  # scheduled, in a batch that has not reported yet

    @property
    def lag_seconds(self):
        return int(self.lag)

    @property
    def broken(self):
        return [c for c in self.connections if c.broken_since is not None]

    @property
    def attention(self):
        """The connections that need an Admin (broken or expiring), for the overview."""
        today = timezone.localdate(self.now)
        return [c for c in self.connections if c.state(today) != "ok"]

    @cached_property
    def _claims(self):
        stale = Execution.objects.stale_claims().values("pk")
        return Execution.objects.aggregate(
            claimed=Count("pk", filter=Q(pk__in=stale)),
            in_flight=Count("pk", filter=Q(pk__in=Execution.objects.in_flight(self.now).values("pk"))),
            last_poll_at=Max("last_polled_at"),
        )

    @property
    def claimed(self):
        """Executions carrying an unfinished claim, live or expired: more than `in_flight`
        means a batch died."""
        return self._claims["claimed"]

    @property
    def in_flight(self):
        """Executions in a batch now (a live claim)."""
        return self._claims["in_flight"]

    @property
    def last_poll_at(self):
        """When any execution was last polled or claimed for a poll."""
        return self._claims["last_poll_at"]


def poll_health(now):
    overdue_before = now - timedelta(seconds=settings.POLL_INTERVAL_SECONDS * 2)
    states = sorted(TROUBLE_STATES)
    stale = Execution.objects.stale_claims().values("pk")
    waiting = Execution.objects.due(now).unclaimed(now).values("pk")
    due = Q(next_poll_at__lte=now)
    totals = Execution.objects.filter(next_poll_at__isnull=False).aggregate(
        scheduled=Count("pk"),
        due=Count("pk", filter=due),
        waiting=Count("pk", filter=Q(pk__in=waiting)),
        oldest_due=Min("next_poll_at", filter=due),
        paused=Count("pk", filter=Q(connection__in=Connection.objects.broken().values("pk"))),
        overdue=Count("pk", filter=Q(next_poll_at__lt=overdue_before)),
        last_reported_poll=Max("last_polled_at", filter=~Q(pk__in=stale)),
        under_way=Count("pk", filter=Q(pk__in=stale)),
        **{f"trouble_{state}": Count("pk", filter=Q(poll_state=state)) for state in states},
    )
    oldest = totals.pop("oldest_due")
    trouble = {PollState(s).label: totals.pop(f"trouble_{s}") for s in states}
    return PollHealth(
        now=now,
        connections=list(Connection.objects.all()),
        lag=(now - oldest).total_seconds() if oldest else 0.0,
        trouble={label: n for label, n in trouble.items() if n},
        **totals,
    )
