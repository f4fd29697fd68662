"""Adding and removing watches: the only way an execution enters or leaves polling."""

import uuid as uuid_lib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

import audit
from accounts import visibility
from connections.defaults import default_id

from .models import Execution, Watch


@dataclass
class WatchResult:
    created: list = field(default_factory=list)  # new Watch rows
    already_watched: list = field(default_factory=list)  # UUIDs the user already watched


def watch_executions(user, uuids, label="", connection=None):
    """Watch each UUID of `connection` (default: `default`) for `user`; new ones are polled
    as soon as the transaction commits.

    `uuids` are uuid.UUID instances or strings already validated by the caller.
    """
    wanted = list(dict.fromkeys(uuid_lib.UUID(str(u)) for u in uuids))
    result = WatchResult()
    if not wanted:
        return result
    now = timezone.now()
    connection_id = connection.pk if connection is not None else default_id()
    with transaction.atomic():
        Execution.objects.bulk_create(
            [Execution(uuid=u, connection_id=connection_id, next_poll_at=now) for u in wanted], ignore_conflicts=True
        )
        mine = Execution.objects.filter(connection_id=connection_id)
        executions = {e.uuid: e for e in mine.filter(uuid__in=wanted)}
        watched = set(
            Watch.objects.filter(user=user, execution__in=executions.values())
            .values_list("execution__uuid", flat=True)
        )
        result.already_watched = [u for u in wanted if u in watched]
        new = [Watch(user=user, execution=executions[u], label=label) for u in wanted if u not in watched]
        Watch.objects.bulk_create(new, ignore_conflicts=True)
        result.created = list(
            Watch.objects.filter(user=user, execution__in=[w.execution for w in new]).select_related("execution")
        )
        if result.created:
            audit.record(
                "watch.add", actor=user, target=f"user:{user.get_username()}",
                after={"executions": [str(w.execution.uuid) for w in result.created], "label": label},
            )
        # An execution nobody watched had stopped polling; watching it again resumes,
        # unless it is finished and confirmed (then its stored state is final).
        to_poll = [e.pk for e in executions.values() if not e.final_confirmed]
        Execution.objects.filter(pk__in=to_poll, next_poll_at__isnull=True).update(next_poll_at=now)
        if to_poll:
            # robust: the watches are saved either way, and the dispatcher polls them if the
            # broker is down right now.
            transaction.on_commit(lambda: _enqueue_poll_now(to_poll), robust=True)
    return result


def unwatch(watch):
    """Remove a watch; an execution nobody watches any more stops being polled."""
    with transaction.atomic():
        execution_id = watch.execution_id
        audit.record(
            "watch.remove", actor=watch.user, target=f"execution:{watch.execution.uuid}",
            before={"label": watch.label},
        )
        watch.delete()
        # An execution a monitor found keeps polling for the organisation (monitors.Finding).
        wanted = (
            Watch.objects.filter(execution_id=execution_id).exists()
            or visibility.shared_executions().filter(pk=execution_id).exists()
        )
        if not wanted:
            Execution.objects.filter(pk=execution_id).update(
                next_poll_at=None, claim_token=None, claimed_until=None
            )


def _enqueue_poll_now(execution_ids):
    from .tasks import poll_now

    poll_now.delay(list(execution_ids))
