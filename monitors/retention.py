"""Retention: prune old finished executions nobody watches, keeping their daily counts.

With monitors the database grows every day. Once a day, executions that are
finished, watched by nobody and created more than RETENTION_DAYS ago are
deleted with their steps, snapshots and findings, RETENTION_CHUNK_SIZE at a
time, each chunk in its own short transaction. Before a chunk goes, its rows
are counted by `daycounts.count` (the reports' own counting) and added to
`BlueprintDay` (per day of creation, connection and blueprint), so reports and the
per-blueprint daily counts (`daily_counts`) read the same after pruning.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from executions.models import Execution, Watch

from . import daycounts
from .models import BlueprintDay

logger = logging.getLogger("monitors.retention")


def finished_before(days, now):
    """Finished executions created more than `days` ago that no worker's poll holds."""
    cutoff = now - timedelta(days=days)
    return (
        Execution.objects.annotate(born=Coalesce("remote_created_at", "created_at"))
        .filter(is_finished=True, born__lt=cutoff)
        .unclaimed(now)
    )


def in_chunks(take_chunk, now, chunk_size=None, max_chunks=None):
    """Call `take_chunk(now, size)` until it takes nothing (or `max_chunks` calls).

    Returns (rows taken, chunks); each chunk is its own short transaction, so a long
    backlog never holds locks for long."""
    chunk_size = chunk_size or settings.RETENTION_CHUNK_SIZE
    total = chunks = 0
    while max_chunks is None or chunks < max_chunks:
        taken = take_chunk(now, chunk_size)
        if not taken:
            break
        total += taken
        chunks += 1
    return total, chunks


def prunable(now):
    return finished_before(settings.RETENTION_DAYS, now).filter(
        ~Exists(Watch.objects.filter(execution=OuterRef("pk")))
    )


def prune(now=None, chunk_size=None, max_chunks=None):
    """Delete what retention allows, chunk by chunk. Returns how many executions went."""
    total, chunks = in_chunks(_prune_chunk, now or timezone.now(), chunk_size, max_chunks)
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
        # Counted before the cascade takes their steps and (late) occurrences with them.
        add_to_days(daycounts.count(Execution.objects.filter(pk__in=ids)))
        Execution.objects.filter(pk__in=ids).delete()
    return len(ids)


COUNTED = ("executions", "failing", "finished", "failed", "hidden", "late", "client_hashes")


def add_to_days(counts):
    """Add {(day, connection_id, name): daycounts.DayCounts} to their rows, inside a transaction.

    The chunk's rows are read (locked) in one query; new ones are created in one."""
    if not counts:
        return
    counts = {(day, connection_id, name[:500]): c for (day, connection_id, name), c in counts.items()}
    match = Q()
    for day, connection_id, name in counts:
        match |= Q(day=day, connection_id=connection_id, blueprint_name=name)
    existing = {
        (row.day, row.connection_id, row.blueprint_name): row
        for row in BlueprintDay.objects.select_for_update().filter(match)
    }
    new = []
    for key, c in counts.items():
        row = existing.get(key)
        if row is None:
            row = BlueprintDay(day=key[0], connection_id=key[1], blueprint_name=key[2])
            new.append(row)
        row.executions += c.started
        row.failing += c.failing
        row.finished += c.finished
        row.failed += c.failed
        row.hidden += c.hidden
        row.late += c.late
        row.client_hashes = sorted(set(row.client_hashes) | c.clients)
    # One short UPDATE per existing row: bulk_update's CASE expressions cost seconds of
    # Python per chunk once a chunk spans hundreds of days and blueprints.
    for row in existing.values():
        BlueprintDay.objects.filter(pk=row.pk).update(**{name: getattr(row, name) for name in COUNTED})
    BlueprintDay.objects.bulk_create(new)


def daily_counts(since_day):
    """{(day, blueprint name): {"executions": n, "failing": n}} from `since_day` on, pruned rows included."""
    counts = {}

    def add(day, name, n, failing):
        entry = counts.setdefault((day, name), {"executions": 0, "failing": 0})
        entry["executions"] += n
        entry["failing"] += failing

    live = (
        daycounts.with_day(Execution.objects.exclude(name=""))
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
