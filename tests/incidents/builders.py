"""Incident rows for the page tests, written straight to the database (bulk for scale)."""

import uuid as uuid_lib
from datetime import timedelta

from django.utils import timezone

from executions.models import Execution, FailureKind, Watch
from incidents.models import Incident, Occurrence


def many_incidents(user, incidents, per_incident, title="Send SMS: the account_uuid field is required {n}"):
    """`incidents` incidents with `per_incident` occurrences each, over `per_incident` watched executions."""
    now = timezone.now()
    executions = Execution.objects.bulk_create(
        [Execution(uuid=uuid_lib.uuid4(), name="Welcome pack", status="failed", account_name=f"Client {i}",
                   is_failing=True, is_finished=True) for i in range(per_incident)]
    )
    Watch.objects.bulk_create([Watch(user=user, execution=e) for e in executions])
    rows = Incident.objects.bulk_create(
        [
            Incident(
                fingerprint=f"fp-{uuid_lib.uuid4().hex}", blueprint_name=f"Blueprint {n % 7}", step_name="Send SMS",
                family=FailureKind.FAILED, message=f"message {n}", title=title.format(n=n), status_changed_at=now,
                opened_at=now, occurrences=per_incident, clients=per_incident,
                first_seen=now - timedelta(days=3), last_seen=now - timedelta(minutes=n % 1000),
                status=["open", "acknowledged", "resolved", "ignored", "snoozed"][n % 5],
            )
            for n in range(incidents)
        ],
        batch_size=2000,
    )
    batch = []
    for incident in rows:
        for i, execution in enumerate(executions):
            batch.append(
                Occurrence(incident=incident, execution=execution, kind=FailureKind.FAILED, client_name=f"Client {i}",
                           client_key=f"Client {i}", detected_at=now - timedelta(hours=i % 160))
            )
            if len(batch) >= 20_000:
                Occurrence.objects.bulk_create(batch)
                batch = []
    Occurrence.objects.bulk_create(batch)
    return rows
