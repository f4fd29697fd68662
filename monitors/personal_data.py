"""Personal-data retention: clear what identifies a client once a finished execution is old.

After PERSONAL_DATA_RETENTION_DAYS (at most RETENTION_DAYS), a finished execution nobody's
poll holds loses its client (account uuid and name), its steps' `info` texts and parsed
messages, the `info` inside its next/previous step objects, its failure message, its
snapshots' payloads and its occurrences' client names, messages and raw info. Statuses,
step names, timestamps, `Snapshot.changes` (statuses and step names), incident links and
counts stay, so pages, reports and charts stay true.

Chunks of RETENTION_CHUNK_SIZE, each in its own transaction, like the pruning. Before a
chunk's clients go, the failing ones are added to their day's `BlueprintDay.client_hashes`
(a set: adding a client again when the execution is pruned changes nothing), so a report's
"clients affected" reads the same. An occurrence's `client_key` becomes that hash, so an
incident's distinct-client counting keeps working without the identifier.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from executions.clients import HASHED_PREFIX, hashed_key
from executions.models import Execution, Snapshot, Step

from . import daycounts
from .retention import add_to_days, finished_before, in_chunks

logger = logging.getLogger("monitors.retention")

CLEARED_PAYLOAD = {"personal_data_cleared": True}
# What a step object keeps: no `info` (Plannr's text, which carries client details).
STEP_FIELDS_KEPT = ("uuid", "name", "status", "position", "executed_at", "created_at", "updated_at")


def clearable(now):
    return finished_before(settings.PERSONAL_DATA_RETENTION_DAYS, now).filter(personal_data_cleared=False)


def clear(now=None, chunk_size=None, max_chunks=None):
    """Clear what retention allows, chunk by chunk. Returns how many executions were cleared."""
    total, chunks = in_chunks(_clear_chunk, now or timezone.now(), chunk_size, max_chunks)
    if total:
        logger.info("personal data cleared from %d executions", total, extra={"cleared": total, "chunks": chunks})
    return total


def _step_kept(step):
    return {k: v for k, v in step.items() if k in STEP_FIELDS_KEPT} if isinstance(step, dict) else step


def _clear_chunk(now, chunk_size):
    from incidents.models import Occurrence  # incidents imports executions and monitors' neighbours

    with transaction.atomic():
        locked = clearable(now).select_for_update(of=("self",)).order_by("pk")
        ids = list(locked.values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return 0
        chunk = Execution.objects.filter(pk__in=ids)
        add_to_days({key: daycounts.DayCounts(clients=c) for key, c in daycounts.failing_clients(chunk).items()})
        # One UPDATE per distinct client of the chunk, not per occurrence.
        clients = (
            Occurrence.objects.filter(execution_id__in=ids).exclude(client_key="").exclude(client_key__startswith=HASHED_PREFIX)
            .values_list("execution__connection_id", "client_key").distinct().order_by()
        )
        for connection_id, key in list(clients):
            Occurrence.objects.filter(
                execution_id__in=ids, execution__connection_id=connection_id, client_key=key
            ).update(client_key=hashed_key(connection_id, key))
        Occurrence.objects.filter(execution_id__in=ids).update(client_name="", messages=[], raw_info="")
        Step.objects.filter(execution_id__in=ids).update(info="", messages=[])
        Snapshot.objects.filter(execution_id__in=ids).update(payload=CLEARED_PAYLOAD, raw_payload="")
        with_info = chunk.filter(Q(next_step__has_key="info") | Q(previous_step__has_key="info"))
        for execution in with_info.only("pk", "next_step", "previous_step"):
            Execution.objects.filter(pk=execution.pk).update(
                next_step=_step_kept(execution.next_step), previous_step=_step_kept(execution.previous_step)
            )
        chunk.update(account_uuid=None, account_name="", failure_message="", personal_data_cleared=True)
    return len(ids)
