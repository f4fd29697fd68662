"""Daily counts per (day, connection, blueprint): the one way they are computed.

The same function counts live executions (for a report) and a chunk of executions about
to be pruned (monitors/retention.py adds it to `BlueprintDay`), so a report reads the
same before and after retention. Days are calendar days in the project's TIME_ZONE,
whatever zone a request activated, so stored and live days always agree.

Clients affected cannot be summed across days: each day keeps the set of short keyed
hashes (executions/clients.py) of the clients whose executions failed, and a period counts
their union.
"""

import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce, TruncDate

from executions.clients import client_hash
from executions.models import FailureKind, Step

LATE_KIND = "late"


def project_zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclass
class DayCounts:
    started: int = 0
    finished: int = 0
    failed: int = 0
    hidden: int = 0
    late: int = 0
    failing: int = 0
    clients: set = field(default_factory=set)

    def add(self, other):
        self.started += other.started
        self.finished += other.finished
        self.failed += other.failed
        self.hidden += other.hidden
        self.late += other.late
        self.failing += other.failing
        self.clients |= set(other.clients)


def with_day(queryset):
    born = Coalesce("remote_created_at", "created_at")
    return queryset.annotate(day=TruncDate(born, tzinfo=project_zone()))


def count(executions):
    """{(day, connection_id, name): DayCounts} for an Execution queryset.

    started: created that day; finished: of those, finished; failed: finished with any
    failure (hidden ones too); hidden: finished with a step Plannr marked done while its
    info reported an error; late: with a `late` occurrence (an expectation's deadline);
    failing: with any failure, finished or not (the monitors' daily counts).
    """
    from incidents.models import Occurrence  # incidents imports executions, never monitors

    hidden = Step.objects.filter(execution=OuterRef("pk"), failure_kind=FailureKind.HIDDEN)
    late = Occurrence.objects.filter(execution=OuterRef("pk"), kind=LATE_KIND)
    rows = (
        with_day(executions)
        .annotate(has_hidden=Exists(hidden), was_late=Exists(late))
        .values("day", "connection_id", "name")
        .annotate(
            started=Count("id"),
            finished=Count("id", filter=Q(is_finished=True)),
            failed=Count("id", filter=Q(is_finished=True, is_failing=True)),
            hidden=Count("id", filter=Q(is_finished=True, has_hidden=True)),
            late=Count("id", filter=Q(was_late=True)),
            failing=Count("id", filter=Q(is_failing=True)),
        )
        .order_by()
    )
    counts = {}
    for row in rows:
        key = (row["day"], row["connection_id"], row["name"][:500])
        counts[key] = DayCounts(
            row["started"], row["finished"], row["failed"], row["hidden"], row["late"], row["failing"]
        )
    for key, hashed in failing_clients(executions).items():
        counts.setdefault(key, DayCounts()).clients |= hashed
    return counts


def failing_clients(executions):
    """{(day, connection_id, name): {client hash}} of the executions with a failure."""
    rows = (
        with_day(executions.filter(is_failing=True))
        .filter(Q(account_uuid__isnull=False) | ~Q(account_name=""))
        .values_list("day", "connection_id", "name", "account_uuid", "account_name")
        .distinct()
        .order_by()
    )
    clients = {}
    for day, connection_id, name, account_uuid, account_name in rows:
        key = str(account_uuid) if account_uuid else account_name  # incidents.grouping.client_key's rule
        clients.setdefault((day, connection_id, name[:500]), set()).add(client_hash(connection_id, key))
    return clients
