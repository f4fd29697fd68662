"""Three workers, one beat, one due set of 2,000 executions, one shared rate budget.

Each worker is the compose `worker` command with its own node name, as separate
containers or hosts would have. They share PostgreSQL (the claims) and Redis (the
broker and the rate budget). Two poll cycles show that each execution is polled
exactly once per cycle. Before the second, "another host" using the same token
spends the rest of the minute's budget, so the second cycle has to wait for it
(the dispatcher holds batches back, or workers wait for slots); the budget holds
and the simulator never answers 429.
"""

import uuid as uuid_lib

import pytest
import requests
from django.db.models import Count, Max
from django.utils import timezone

from dashboard.celery import app as celery_app
from executions.models import Execution, PollState, Watch
from tests.ops.compose_processes import json_lines, production_env, require_postgres, service_command, start
from tests.waiting import wait_for

pytestmark = pytest.mark.slow

EXECUTIONS = 2000
BATCH_SIZE = 50  # 40 list requests per cycle
RATE_PER_MINUTE = 60
WORKERS = 3


@pytest.fixture
def processes(transactional_db, redis_client, simulator):
    require_postgres()
    started = []
    yield started
    for proc in reversed(started):
        proc.stop()


def _listed_uuids(simulator):
    return sum(simulator.stats.list_uuid_counts)


def spend_the_rest_of_the_budget(simulator):
    """Another host sharing the token: real requests until the shared budget is gone."""
    from plannr.wire import token_fingerprint
    from plannr.ratelimit import get_rate_limiter

    limiter, fingerprint = get_rate_limiter(), token_fingerprint(simulator.token)
    sent = 0
    while limiter.try_acquire(fingerprint) <= 0:
        response = requests.get(
            f"{simulator.url}/api/v1/automation-executions",
            params={"per_page": 1},
            headers=simulator.headers(),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        sent += 1
    return sent


def test_three_workers_poll_each_execution_once_per_cycle_within_the_shared_budget(
    processes, simulator, owner, tmp_path, settings
):
    settings.PLANNR_RATE_LIMIT_PER_MINUTE = RATE_PER_MINUTE
    simulator.set_rate_limit(RATE_PER_MINUTE)
    uuids = simulator.create_many(EXECUTIONS, status="in_progress")
    Execution.objects.bulk_create([Execution(uuid=uuid_lib.UUID(u)) for u in uuids])
    Watch.objects.bulk_create([Watch(user=owner, execution=e) for e in Execution.objects.all()])

    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = production_env(
        var_dir,
        PLANNR_BATCH_SIZE=BATCH_SIZE,
        PLANNR_RATE_LIMIT_PER_MINUTE=RATE_PER_MINUTE,
        # Long enough that only the test starts a new cycle.
        POLL_INTERVAL_SECONDS=3600,
        POLL_DISPATCH_SECONDS=0.5,
    )
    workers = []
    for n in range(WORKERS):
        argv = service_command("worker", var_dir=var_dir) + [f"--hostname=worker{n}@%h"]
        workers.append(start(f"scale-worker{n}", argv, env))
        processes.append(workers[-1])
    wait_for(
        lambda: len(celery_app.control.ping(timeout=1.0)) >= WORKERS
        or any(w.popen.poll() is not None for w in workers),
        timeout=90,
        message="three workers to answer a ping",
    )
    assert all(w.popen.poll() is None for w in workers), [w.output()[-2000:] for w in workers]
    processes.append(start("scale-beat", service_command("beat", var_dir=var_dir), env))
    simulator.reset_stats()

    def run_cycle(number):
        started = timezone.now()
        Execution.objects.update(next_poll_at=started)
        # Polled: stamped by this cycle's claim, and no batch still holding one (the claim
        # stamps "last polled" as it dispatches, a moment before the batch's request).
        wait_for(
            lambda: not Execution.objects.filter(last_polled_at__isnull=True).exists()
            and not Execution.objects.filter(last_polled_at__lt=started).exists()
            and not Execution.objects.in_flight(timezone.now()).exists(),
            timeout=150,
            message=f"cycle {number}: all {EXECUTIONS} executions polled",
        )
        return started

    cycle_1_started = run_cycle(1)
    assert _listed_uuids(simulator) == EXECUTIONS  # 2,000 asked for, none twice
    assert Execution.objects.filter(poll_state=PollState.OK).count() == EXECUTIONS

    # Cycle 1 used 40 of the minute's 60 requests; another host takes the rest.
    other_host = spend_the_rest_of_the_budget(simulator)
    assert other_host >= RATE_PER_MINUTE - 2 * EXECUTIONS // BATCH_SIZE

    run_cycle(2)
    stats = simulator.stats
    # Every execution polled again, exactly once more.
    assert _listed_uuids(simulator) == 2 * EXECUTIONS
    assert stats.list_requests == 2 * EXECUTIONS // BATCH_SIZE + other_host
    # All 40 requests of cycle 2 came when the budget was spent, and it held: no 429.
    # Every slot in use was taken after cycle 1 started, so cycle 2 could only finish
    # once 40 of them had aged out of the 61 s window. Without a shared budget (or
    # with one per process) it would have been over in seconds.
    last_poll = Execution.objects.aggregate(last=Max("last_polled_at"))["last"]
    assert (last_poll - cycle_1_started).total_seconds() >= 60
    assert stats.rate_limited == 0
    assert set(stats.by_status) == {200}
    assert Execution.objects.filter(consecutive_errors__gt=0).count() == 0

    for proc in processes:
        proc.stop()
    # The work really was shared: every worker polled batches.
    done_per_worker = [
        sum(1 for r in json_lines(w.output()) if r.get("message") == "poll batch done") for w in workers
    ]
    assert all(count > 0 for count in done_per_worker), done_per_worker
    assert sum(done_per_worker) == 2 * EXECUTIONS // BATCH_SIZE
    # And no execution holds a claim any more: each was released or its batch finished.
    assert not Execution.objects.stale_claims().exists()
    assert not Execution.objects.values("uuid").annotate(n=Count("id")).filter(n__gt=1).exists()
