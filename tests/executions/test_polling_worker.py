"""End to end: a real Celery worker and beat poll an execution to its final state."""

import time

import pytest

from executions.models import Execution, PollState
from executions.watching import watch_executions
from tests.executions.polling_helpers import watch_all
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


def test_a_batch_lost_with_its_sigkilled_worker_is_polled_again_within_two_intervals_and_a_minute(
    simulator, owner, celery_processes, settings
):
    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    # The claim follows these: 1 + 3 + 1 = 5 s. POLL_CLAIM_SECONDS stays at its 300 s default.
    fast = {"PLANNR_CONNECT_TIMEOUT": "1", "PLANNR_READ_TIMEOUT": "3"}
    uuids = simulator.create_many(5)
    watch_all(owner, uuids)
    simulator.faults.latency = 2.5  # every answer is slow, so the worker is caught mid-request
    doomed = celery_processes.worker(name="doomed", extra_env=fast)
    celery_processes.beat(extra_env=fast)
    wait_for(lambda: simulator.stats.list_requests >= 1, timeout=60, message="a batch to be mid-request")
    claimed = Execution.objects.filter(claim_token__isnull=False).count()
    doomed.kill()
    assert claimed == 5 and Execution.objects.filter(last_polled_at__isnull=True).count() == 5

    simulator.faults.latency = 0
    back = time.monotonic()
    celery_processes.worker(name="replacement", extra_env=fast)
    wait_for(
        lambda: not Execution.objects.filter(last_polled_at__isnull=True).exists(),
        timeout=2 * settings.POLL_INTERVAL_SECONDS + 60, message="the lost batch to be polled again",
    )
    recovered = time.monotonic() - back
    print(f"lost batch polled again {recovered:.1f}s after the replacement worker started")
    assert recovered <= 2 * settings.POLL_INTERVAL_SECONDS + 60
    assert {e.poll_state for e in Execution.objects.all()} == {PollState.OK}
