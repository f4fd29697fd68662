"""Retention: prune old finished executions nobody watches, keeping their daily counts.

With monitors the database grows every day. Once a day, executions that are
finished, watched by nobody and created more than RETENTION_DAYS ago are
deleted with their steps, snapshots and findings, RETENTION_CHUNK_SIZE at a
time, each chunk in its own short transaction. Before a chunk goes, its rows
are added to `BlueprintDay` (per blueprint, per day of creation), so the
per-blueprint daily counts (`daily_counts`) read the same after pruning.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from executions.models import Execution, Watch

from .models import BlueprintDay

logger = logging.getLogger("monitors.retention")


def prunable(now):
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    return (
        Execution.objects.annotate(born=Coalesce("remote_created_at", "created_at"))
        .filter(is_finished=True, born__lt=cutoff)
        .filter(~Exists(Watch.objects.filter(execution=OuterRef("pk"))))
        .unclaimed(now)
    )


def prune(now=None, chunk_size=None, max_chunks=None):
    """Delete what retention allows, chunk by chunk. Returns how many executions went."""
    now = now or timezone.now()
    chunk_size = chunk_size or settings.RETENTION_CHUNK_SIZE
    total = chunks = 0
    while max_chunks is None or chunks < max_chunks:
        deleted = _prune_chunk(now, chunk_size)
        if not deleted:
            break
        total += deleted
        chunks += 1
    if total:
        logger.info("retention pruned %d executions", total, extra={"pruned": total, "chunks": chunks})
    return total


def _prune_chunk(now, chunk_size):
    with transaction.atomic():
        # Locked and re-checked in one statement: a watch added meanwhile keeps its execution.
        locked = prunable(now).select_for_update(of=("self",)).order_by("pk")
        ids = list(locked.values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return 0
        rows = (
            Execution.objects.filter(pk__in=ids)
            .annotate(day=TruncDate(Coalesce("remote_created_at", "created_at")))
            .values("day", "connection_id", "name")
            .annotate(n=Count("id"), failing=Count("id", filter=Q(is_failing=True)))
            .order_by()
        )
        for row in rows:
            name, connection_id = row["name"][:500], row["connection_id"]
            updated = BlueprintDay.objects.filter(
                day=row["day"], connection_id=connection_id, blueprint_name=name
            ).update(executions=F("executions") + row["n"], failing=F("failing") + row["failing"])
            if not updated:
                BlueprintDay.objects.create(
                    day=row["day"], connection_id=connection_id, blueprint_name=name, executions=row["n"],
                    failing=row["failing"],
                )
        Execution.objects.filter(pk__in=ids).delete()
    return len(ids)


def daily_counts(since_day):
    """{(day, blueprint name): {"executions": n, "failing": n}} from `since_day` on, pruned rows included."""
    counts = {}

    def add(day, name, n, failing):
        entry = counts.setdefault((day, name), {"executions": 0, "failing": 0})
        entry["executions"] += n
        entry["failing"] += failing

    live = (
        Execution.objects.exclude(name="")
        .annotate(day=TruncDate(Coalesce("remote_created_at", "created_at")))
        .filter(day__gte=since_day)
        .values("day", "name")
        .annotate(n=Count("id"), failing=Count("id", filter=Q(is_failing=True)))
        .order_by()
    )
    for row in live:
        add(row["day"], row["name"], row["n"], row["failing"])
    for day in BlueprintDay.objects.filter(day__gte=since_day):
        add(day.day, day.blueprint_name, day.executions, day.failing)
    return counts
