"""The database rows benchmarks start from, written in bulk (set-up, never measured)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from executions.ingest import payload_hash
from executions.models import Execution, PollState, Watch

BULK = 2000


def user(username="bench"):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password="bench-password-not-secret"
    )


def watch_new(owner, uuids):
    """Watched executions never polled yet, all due now (what a paste of UUIDs leaves)."""
    now = timezone.now()
    made = Execution.objects.bulk_create(
        [Execution(uuid=u, next_poll_at=now) for u in uuids], batch_size=BULK
    )
    _watch(owner, made)


def watch_polled(owner, payloads):
    """Watched, running executions as a previous poll left them (payload hash stored), all due now.

    For benchmarks about requests rather than first ingests: the next poll of
    each finds its payload unchanged, as most polls of a running execution do.
    """
    now = timezone.now()
    rows = []
    for payload in payloads:
        steps = payload.get("steps") or []
        account = payload.get("account") or {}
        rows.append(
            Execution(
                uuid=payload["uuid"],
                name=payload.get("name") or "",
                status=payload.get("status") or "",
                triggered_by=payload.get("triggered_by") or "",
                account_uuid=account.get("uuid"),
                account_name=account.get("name") or "",
                steps_count=len(steps) + (1 if payload.get("next_step") else 0),
                steps_done=len(steps),
                poll_state=PollState.OK,
                last_polled_at=now - timedelta(seconds=15),
                next_poll_at=now,
                payload_hash=payload_hash(payload),
                version=1,
            )
        )
    _watch(owner, Execution.objects.bulk_create(rows, batch_size=BULK))


def _watch(owner, executions):
    # PostgreSQL and SQLite (3.35+) both return the new primary keys from a bulk insert.
    Watch.objects.bulk_create([Watch(user=owner, execution_id=e.pk) for e in executions], batch_size=BULK)


def make_all_due(now=None):
    Execution.objects.update(next_poll_at=(now or timezone.now()) - timedelta(seconds=1))
