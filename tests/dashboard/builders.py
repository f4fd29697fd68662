"""Rows for the page tests, written straight to the database (no polling involved)."""

import itertools
import uuid as uuid_lib
from datetime import timedelta

from django.utils import timezone

from executions.models import Execution, FailureKind, PollState, Snapshot, Step, Watch

_counter = itertools.count(1)


def make_execution(**fields):
    n = next(_counter)
    now = timezone.now()
    values = {
        "uuid": uuid_lib.uuid4(),
        "name": f"Send client welcome pack {n}",
        "status": "in_progress",
        "triggered_by": "client.created",
        "account_name": f"Client {n}",
        "remote_created_at": now - timedelta(minutes=10),
        "remote_updated_at": now - timedelta(minutes=1),
        "steps_count": 3,
        "steps_done": 1,
        "next_step": {"uuid": str(uuid_lib.uuid4()), "name": "Send SMS", "status": "pending"},
        "poll_state": PollState.OK,
        "last_polled_at": now - timedelta(seconds=5),
        "next_poll_at": now + timedelta(seconds=10),
        "payload_hash": f"hash-{n}",
        "version": 1,
    }
    values.update(fields)
    return Execution.objects.create(**values)


def watch(user, execution=None, label="", **execution_fields):
    execution = execution or make_execution(**execution_fields)
    return Watch.objects.create(user=user, execution=execution, label=label)


def add_step(
    execution, position, name, status="completed", info="", messages=(), failure_kind=FailureKind.NONE,
    executed_at=None,
):
    return Step.objects.create(
        execution=execution,
        uuid=uuid_lib.uuid4(),
        position=position,
        name=name,
        status=status,
        info=info,
        messages=list(messages),
        failure_kind=failure_kind,
        executed_at=executed_at,
    )


def add_snapshot(execution, changes, fetched_at=None):
    return Snapshot.objects.create(
        execution=execution,
        fetched_at=fetched_at or timezone.now(),
        payload={"uuid": str(execution.uuid)},
        payload_hash=f"snap-{next(_counter)}",
        changes=changes,
    )


def many_watches(user, n, **execution_fields):
    """n watches in two bulk inserts, varied enough to fill every column."""
    now = timezone.now()
    statuses = ["in_progress", "completed", "failed", ""]
    executions = Execution.objects.bulk_create(
        [
            Execution(
                uuid=uuid_lib.uuid4(),
                name=f"Blueprint {i}",
                status=statuses[i % 4],
                triggered_by="client.created",
                account_name=f"Client {i}",
                steps_count=4,
                steps_done=i % 5,
                next_step={"name": f"Step {i}"},
                is_failing=i % 4 == 2,
                failure_message="Send SMS: the account_uuid field is required" if i % 4 == 2 else "",
                poll_state=PollState.NOT_FOUND if i % 7 == 0 else PollState.OK,
                last_polled_at=now - timedelta(seconds=i),
                **execution_fields,
            )
            for i in range(n)
        ]
    )
    Watch.objects.bulk_create(
        [Watch(user=user, execution=e, label=f"batch {i % 3}") for i, e in enumerate(executions)]
    )
    return executions
