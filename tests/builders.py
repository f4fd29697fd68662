"""Rows for the tests, written straight to the database (no polling involved).

The one place for test builders of executions: pages, alerts and everything else
build their Execution, Step, Snapshot and Watch rows here, with one `add_step`
(and `failed_step`, a step failed as Plannr reports it). The apps' own builders
(tests/<app>/builders.py) make that app's rows through its services.
"""

import itertools
import uuid as uuid_lib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from executions.failures import detect_failures, step_failure_kind
from executions.models import Execution, PollState, Snapshot, Step, Watch
from executions.signals import failures_detected

_counter = itertools.count(1)

BLUEPRINT = "Send client welcome pack to newly created client"
CLIENT = "Gareth Thompson"
# Plannr's odd `info` format, as the API reference documents it.
INFO_ERROR = '"[{errors : "the account_uuid field is required" }]"'
ERROR_MESSAGE = "the account_uuid field is required"


def make_execution(name=BLUEPRINT, client=CLIENT, status="in_progress", **fields):
    """An execution as a poll left it: named, with a client, progress and a next step.

    `client` is the account name; any other Execution field can be given by name.
    """
    n = next(_counter)
    now = timezone.now()
    values = {
        "uuid": uuid_lib.uuid4(),
        "name": name,
        "status": status,
        "triggered_by": "client.created",
        "account_name": client,
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


def watch(user, execution=None, label="", muted=False, **execution_fields):
    """`user` watches `execution` (made from `execution_fields` when not given)."""
    execution = execution or make_execution(**execution_fields)
    return Watch.objects.create(user=user, execution=execution, label=label, muted=muted)


def add_step(
    execution, name="Send SMS", status="completed", *, position=None, info="", messages=(),
    failure_kind=None, hidden=False, executed_at=None,
):
    """A step, last unless `position` says otherwise. Its failure kind follows from its
    status and messages (a step with messages but a non-failure status is a hidden
    failure), as ingest decides it, unless `failure_kind` is given."""
    if position is None:
        position = execution.steps.count()
    if failure_kind is None:
        failure_kind = step_failure_kind(status, hidden or bool(messages))
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


def failed_step(execution, name="Send SMS", status="failed", **fields):
    """A step that failed the way Plannr reports it: a failure status and an error in its info."""
    fields.setdefault("info", INFO_ERROR)
    fields.setdefault("messages", (ERROR_MESSAGE,))
    return add_step(execution, name, status, **fields)


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


def ingest_signal(execution):
    """What ingest does after a changed payload: the signal, inside the transaction."""
    execution.refresh_from_db()
    with transaction.atomic():
        failures = detect_failures(execution.status, list(execution.steps.all()))
        failures_detected.send(sender=Execution, execution=execution, failures=failures)
    return failures


def recorded_delivery(user):
    """One failed step on an execution `user` watches, recorded: its Delivery row."""
    from channels.models import Delivery

    execution = make_execution()
    failed_step(execution)
    watch(user, execution)
    ingest_signal(execution)
    return Delivery.objects.get(user=user)


def make_connection(name, *, base_url="https://plannr.invalid", token="builder-token", account_uuid=None,
                    **fields):
    """A stored Plannr connection, as `plannr connect` leaves it, without asking Plannr."""
    from connections.models import Connection

    connection = Connection(name=name, base_url=base_url, account_uuid=account_uuid or uuid_lib.uuid4(),
                            account_name=f"{name} admin", firm_name=f"{name} firm", **fields)
    connection.set_token(token)
    connection.save()
    return connection
