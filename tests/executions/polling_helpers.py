"""Shared set-up for the polling tests: watched executions in bulk."""

from django.utils import timezone

from executions.models import Execution, Watch


def watch_all(user, uuids):
    """Watched, due executions for each UUID (what watch_executions leaves, minus the enqueue)."""
    now = timezone.now()
    Execution.objects.bulk_create([Execution(uuid=u, next_poll_at=now) for u in uuids], batch_size=1000)
    executions = list(Execution.objects.filter(uuid__in=uuids))
    Watch.objects.bulk_create([Watch(user=user, execution=e) for e in executions], batch_size=1000)
    return executions


def states(uuids):
    return {str(e.uuid): e for e in Execution.objects.filter(uuid__in=uuids)}
