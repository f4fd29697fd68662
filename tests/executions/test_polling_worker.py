"""End to end: a real Celery worker and beat poll an execution to its final state."""

import pytest

from executions.models import Execution, PollState
from executions.watching import watch_executions
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def test_worker_and_beat_follow_an_execution_to_its_final_state(simulator, owner, celery_processes, settings):
    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    execution_uuid = simulator.create_execution(
        status="in_progress", steps=[{"name": "Send SMS", "status": "completed"}]
    )["uuid"]
    celery_processes.worker()
    celery_processes.beat()

    # Watching enqueues an immediate poll on commit; the worker picks it up.
    watch_executions(owner, [execution_uuid])
    wait_for(
        lambda: Execution.objects.filter(uuid=execution_uuid, poll_state=PollState.OK, status="in_progress").exists(),
        timeout=30, message="the first poll to land",
    )

    simulator.drive(execution_uuid, status="completed", add_steps=[{"name": "Send email", "status": "completed"}])
    execution = wait_for(
        lambda: Execution.objects.filter(uuid=execution_uuid, final_confirmed=True).first(),
        timeout=30, message="beat-driven polls to see and confirm the final state",
    )
    assert execution.status == "completed"
    assert execution.next_poll_at is None
    assert execution.steps.count() == 2
    assert (execution.steps_done, execution.steps_count) == (2, 2)
