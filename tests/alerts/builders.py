"""Rows and signals for the alert tests: real Execution/Step/Watch rows, real signal."""

import uuid as uuid_lib

from django.db import transaction

from executions.failures import detect_failures, step_failure_kind
from executions.models import Execution, Step, Watch
from alerts.models import Delivery
from executions.signals import failures_detected

INFO_ERROR = '"[{errors : "the account_uuid field is required" }]"'


def make_execution(
    name="Send client welcome pack to newly created client", client="Gareth Thompson", status="in_progress"
):
    return Execution.objects.create(uuid=uuid_lib.uuid4(), name=name, account_name=client, status=status)


def add_step(
    execution,
    name="Send SMS",
    status="failed",
    info=INFO_ERROR,
    messages=("the account_uuid field is required",),
    hidden=False,
):
    position = execution.steps.count()
    return Step.objects.create(
        execution=execution,
        uuid=uuid_lib.uuid4(),
        position=position,
        name=name,
        status=status,
        info=info,
        messages=list(messages),
        failure_kind=step_failure_kind(status, hidden or bool(messages)),
    )


def watch(user, execution, muted=False):
    return Watch.objects.create(user=user, execution=execution, muted=muted)


def ingest_signal(execution):
    """What ingest does after a changed payload: the signal, inside the transaction."""
    execution.refresh_from_db()
    with transaction.atomic():
        failures = detect_failures(execution.status, list(execution.steps.all()))
        failures_detected.send(sender=Execution, execution=execution, failures=failures)
    return failures


def recorded_delivery(user):
    """One failed step on an execution `user` watches, recorded: its Delivery row."""
    execution = make_execution()
    add_step(execution)
    watch(user, execution)
    ingest_signal(execution)
    return Delivery.objects.get(user=user)
