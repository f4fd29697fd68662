"""5. Storage: bytes of snapshot rows per execution after a day of polling, with and without dedup.

A day is 5,760 polls at the 15 s interval. A sample of executions stays in progress
all day (the costly case: polling never stops) and changes on 1% of polls (about
once every 25 minutes: a step added while it has fewer than 8, else the last
step's info updated). Each poll applies the simulated payloads through the
product's own `ingest.apply_results`, with the clock moved on 15 s, so the
snapshots written are exactly the ones polling would write; HTTP is left out (the
poll-cycle benchmark covers it).

Without deduplication every poll would write a snapshot of the payload current at
that poll, with an empty change list. Those rows are not written: their bytes are
computed from the real rows, each weighted by the number of polls it stayed
current, with the database measuring every row (PostgreSQL: pg_column_size of the
row, TOAST compression included; SQLite: the stored bytes of each column).
"""

import random
from datetime import timedelta

from .harness import POSTGRESQL
from .table import count, row, size

SECTION = "5. storage"
INTERVAL = 15
POLLS_PER_DAY = 86_400 // INTERVAL
POLLS_PER_HOUR = 3_600 // INTERVAL
CHANGE_RATE = 0.01
MAX_STEPS = 8
STEP_NAMES = [
    "Send SMS",
    "Send welcome email",
    "Create task for adviser",
    "Wait for reply",
    "Update client record",
]


def env(quick):
    return {"POLL_INTERVAL_SECONDS": str(INTERVAL)}


def run(*, engine, quick, say):
    from django.db import transaction
    from django.utils import timezone

    from executions import ingest
    from executions.models import Execution
    from executions.polling import _BATCH_FIELDS
    from simulator.world import World

    from . import rows

    sample = 5 if quick else 20
    say(f"storage: {sample} executions, one day of {POLLS_PER_DAY:,} polls at {INTERVAL} s, on {engine}")
    start = timezone.now().replace(microsecond=0)
    clock = [start.timestamp()]
    world = World(seed=5, executions=0, clock=lambda: clock[0])
    uuids = world.create_many(sample, status="in_progress", steps=1)
    rows.watch_new(rows.user(), uuids)
    ids = list(Execution.objects.filter(uuid__in=uuids).values_list("pk", flat=True))
    rng = random.Random(20260608)
    changes = 0
    for hour in range(0, POLLS_PER_DAY, POLLS_PER_HOUR):
        # One commit per simulated hour: what is written is the same, the disk flushes fewer.
        with transaction.atomic():
            for poll in range(hour, hour + POLLS_PER_HOUR):
                now = start + timedelta(seconds=poll * INTERVAL)
                clock[0] = now.timestamp()
                if poll:
                    for execution_uuid in uuids:
                        if rng.random() < CHANGE_RATE:
                            _change(world, execution_uuid, rng, poll)
                            changes += 1
                # As the client hands them to ingest: payloads, parsed only when changed.
                fetched = {u: world.get(u) for u in uuids}
                # Rows stay unclaimed: ingest's claim check (claim_token IS NULL) matches them all.
                current = list(Execution.objects.filter(pk__in=ids).only(*_BATCH_FIELDS))
                ingest.apply_results(current, fetched, now, None)
    end = start + timedelta(seconds=(POLLS_PER_DAY - 1) * INTERVAL)
    measured = _measure(engine, end)
    measured.update(sample=sample, polls=POLLS_PER_DAY, changes=changes, first_polls=sample)
    return {"rows": _rows(measured, engine), "details": measured}


def _change(world, execution_uuid, rng, poll):
    steps = world.get(execution_uuid, include_account=False)["steps"]
    if len(steps) < MAX_STEPS:
        world.drive(
            execution_uuid,
            add_steps=[{"name": rng.choice(STEP_NAMES), "status": "completed"}],
            next_step={"name": rng.choice(STEP_NAMES)},
        )
    else:
        world.drive(
            execution_uuid, update_steps={len(steps) - 1: {"info": f"Waiting for the client (check {poll})"}}
        )


def _measure(engine, end):
    """Row bytes with dedup (the real rows) and without (each weighted by the polls it stayed current)."""
    from django.db import connection

    from executions.models import Snapshot

    table = Snapshot._meta.db_table
    with connection.cursor() as cursor:
        if engine == POSTGRESQL:
            cursor.execute(
                f"SELECT s.id, pg_column_size(s.*), "
                "pg_column_size(ROW(s.id, s.execution_id, s.fetched_at, s.payload, s.payload_hash, "
                "'[]'::jsonb)) "
                f"FROM {table} s"
            )
            sizes = {pk: (size, unchanged) for pk, size, unchanged in cursor.fetchall()}
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            on_disk = cursor.fetchone()[0]
        else:
            columns = (
                "8 + 8 + length(s.fetched_at) + length(CAST(s.payload AS BLOB)) + length(s.payload_hash)"
            )
            cursor.execute(
                f"SELECT s.id, {columns} + length(CAST(s.changes AS BLOB)), {columns} + 2 FROM {table} s"
            )
            sizes = {pk: (size, unchanged) for pk, size, unchanged in cursor.fetchall()}
            cursor.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name = %s OR name IN "
                "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s)",
                [table, table],
            )
            on_disk = cursor.fetchone()[0]
    snapshot_rows = list(
        Snapshot.objects.order_by("execution_id", "fetched_at").values_list(
            "pk", "execution_id", "fetched_at"
        )
    )
    dedup_bytes = sum(size for size, _ in sizes.values())
    plain_bytes = 0
    for i, (pk, execution_id, fetched_at) in enumerate(snapshot_rows):
        following = snapshot_rows[i + 1] if i + 1 < len(snapshot_rows) else None
        until = following[2] if following and following[1] == execution_id else None
        polls = round(((until or end) - fetched_at).total_seconds() / INTERVAL) + (0 if until else 1)
        plain_bytes += sizes[pk][1] * polls
    return {
        "snapshot_rows": len(snapshot_rows),
        "dedup_bytes": dedup_bytes,
        "no_dedup_bytes": plain_bytes,
        "on_disk_bytes": on_disk,
    }


def _rows(m, engine):
    s = m["sample"]
    expected = m["first_polls"] + m["changes"]
    extra = m["snapshot_rows"] - expected
    measure = "pg_column_size" if engine == POSTGRESQL else "column bytes"
    return [
        row(
            SECTION,
            "snapshot rows per execution per day",
            f"{m['snapshot_rows'] / s:,.1f}",
            engine=engine,
            n=s,
            baseline=f"no dedup {m['polls']:,}",
            ratio=m["snapshot_rows"] / (m["polls"] * s),
            ratio_digits=4,
            note=f"{CHANGE_RATE:.0%} of polls change the payload: "
            f"{m['changes']:,} changes over {s} executions",
        ),
        row(
            SECTION,
            f"snapshot bytes per execution per day ({measure})",
            size(m["dedup_bytes"] / s),
            engine=engine,
            n=s,
            baseline=f"no dedup {size(m['no_dedup_bytes'] / s)}",
            ratio=m["dedup_bytes"] / m["no_dedup_bytes"],
            ratio_digits=4,
        ),
        row(
            SECTION,
            "snapshot table on disk per execution (with indexes)",
            size(m["on_disk_bytes"] / s),
            engine=engine,
            n=s,
        ),
        row(
            SECTION,
            "snapshot rows written by unchanged polls",
            count(max(0, extra)),
            engine=engine,
            n=s,
            baseline=f"{m['polls'] * s - expected:,} unchanged polls",
            target="0",
            ok=extra == 0,
        ),
    ]
