"""Batch polling over real HTTP against the simulator, with the shared budget in Redis."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from executions import polling
from connections.defaults import ensure_default
from executions.models import Execution, PollState, Snapshot
from connections.clients import default_client
from tests.executions.polling_helpers import states, watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def test_1200_watched_executions_take_exactly_6_list_requests(simulator, owner):
    uuids = simulator.create_many(1200)
    watch_all(owner, uuids)
    outcome = polling.run_cycle()
    assert simulator.stats.list_requests == 6
    assert simulator.stats.single_requests == 0
    assert outcome.claimed == 1200
    assert sorted(simulator.stats.list_uuid_counts) == [200] * 6
    assert all(e.status == "in_progress" and e.poll_state == PollState.OK for e in states(uuids).values())


def test_batch_size_500_takes_exactly_3_list_requests_when_urls_may_be_long(simulator, owner, settings):
    settings.PLANNR_BATCH_SIZE = 500
    simulator.server.max_request_line = 32 * 1024
    uuids = simulator.create_many(1200)
    watch_all(owner, uuids)
    polling.run_cycle()
    assert simulator.stats.list_requests == 3
    assert sorted(simulator.stats.list_uuid_counts) == [200, 500, 500]


def test_batch_of_500_is_split_when_the_url_is_refused_for_its_length(simulator, owner, settings):
    settings.PLANNR_BATCH_SIZE = 500
    assert simulator.server.max_request_line == 8192
    uuids = simulator.create_many(1000)
    watch_all(owner, uuids)
    polling.run_cycle()
    assert simulator.stats.too_long >= 1
    assert all(e.poll_state == PollState.OK and e.status for e in states(uuids).values())
    assert default_client().batch_size < 500  # remembered for the next cycle


def test_unchanged_execution_keeps_one_snapshot_and_a_change_adds_one(simulator, owner):
    [execution_uuid] = simulator.create_many(1)
    watch_all(owner, [execution_uuid])
    polling.run_cycle()
    Execution.objects.update(next_poll_at=timezone.now())
    polling.run_cycle()
    assert Snapshot.objects.count() == 1
    assert simulator.stats.list_requests == 2

    simulator.drive(execution_uuid, add_steps=[{"name": "Send email", "status": "completed"}])
    Execution.objects.update(next_poll_at=timezone.now())
    polling.run_cycle()
    assert Snapshot.objects.count() == 2
    assert Execution.objects.get().steps.count() == 3


def test_uuid_missing_from_the_list_is_checked_once_and_marked_not_found(simulator, owner):
    present = simulator.create_many(2)
    ghost = str(uuid.uuid4())
    watch_all(owner, present + [ghost])
    outcome = polling.run_cycle()
    assert simulator.stats.list_requests == 1
    assert simulator.stats.single_requests == 1
    [batch] = outcome.batches
    assert batch.not_found == 1
    ghost_row = states([ghost])[ghost]
    assert ghost_row.poll_state == PollState.NOT_FOUND
    assert "404" in ghost_row.last_poll_error
    assert ghost_row.next_poll_at > timezone.now()  # retried later, with backoff
    assert all(states(present)[u].poll_state == PollState.OK for u in present)


def test_401_breaks_the_connection_and_stops_dispatching_until_it_is_restored(simulator, owner, settings):
    uuids = simulator.create_many(3)
    watch_all(owner, uuids)
    simulator.fail_next("401")
    polling.run_cycle()
    rows = states(uuids).values()
    assert {e.poll_state for e in rows} == {PollState.UNAUTHORIZED}
    connection = ensure_default()
    assert connection.broken_since is not None and connection.break_kind == "refused"
    assert connection.broken_reason and settings.PLANNR_API_TOKEN not in connection.broken_reason

    # Even with everything due again, the dispatcher leaves Plannr alone while it is broken.
    Execution.objects.update(next_poll_at=timezone.now())
    before = simulator.stats.requests
    assert polling.dispatch(send=lambda ids, token: pytest.fail("dispatched while broken")) == []
    assert simulator.stats.requests == before

    # "Retry now" tests the connection; it passes, so polling resumes at the next dispatch.
    assert polling.retry_now() == 1
    sent = polling.dispatch(send=lambda ids, token: polling.poll_claimed(ids, token))
    assert len(sent) == 1
    assert ensure_default().broken_since is None
    assert {e.poll_state for e in states(uuids).values()} == {PollState.OK}


def test_429_waits_for_retry_after_for_every_worker(simulator, owner):
    uuids = simulator.create_many(2)
    watch_all(owner, uuids)
    simulator.fail_next("429", retry_after=7)
    started = timezone.now()
    polling.run_cycle()
    for execution in states(uuids).values():
        assert execution.poll_state == PollState.RATE_LIMITED
        assert execution.consecutive_errors == 0
        delay = (execution.next_poll_at - started).total_seconds()
        assert 6 <= delay <= 9
    client = default_client()
    assert 5 < client.rate_limiter.blocked_for(client.budget_key) <= 7
    assert polling.dispatch(send=lambda ids, token: pytest.fail("dispatched during Retry-After")) == []


def test_server_errors_back_off_exponentially_and_recovery_resets(simulator, owner, settings):
    settings.POLL_INTERVAL_SECONDS = 10
    settings.POLL_BACKOFF_MAX_SECONDS = 25
    [execution_uuid] = simulator.create_many(1)
    watch_all(owner, [execution_uuid])
    delays = []
    for _ in range(3):
        simulator.fail_next("500")
        now = timezone.now()
        polling.run_cycle()
        execution = Execution.objects.get()
        assert execution.poll_state == PollState.SERVER_ERROR
        delays.append(round((execution.next_poll_at - now).total_seconds()))
        Execution.objects.update(next_poll_at=timezone.now())
    assert delays == [10, 20, 25]
    assert Execution.objects.get().consecutive_errors == 3

    polling.run_cycle()
    execution = Execution.objects.get()
    assert (execution.poll_state, execution.consecutive_errors, execution.last_poll_error) == (PollState.OK, 0, "")


def test_timeout_is_recorded_and_retried(simulator, owner, settings):
    settings.PLANNR_READ_TIMEOUT = 0.3
    simulator.server.faults.hang_seconds = 1.5
    [execution_uuid] = simulator.create_many(1)
    watch_all(owner, [execution_uuid])
    simulator.fail_next("hang")
    polling.run_cycle()
    execution = Execution.objects.get()
    assert execution.poll_state == PollState.TIMEOUT
    assert execution.consecutive_errors == 1 and execution.next_poll_at > timezone.now()


def test_malformed_json_is_recorded_as_an_invalid_response(simulator, owner):
    [execution_uuid] = simulator.create_many(1)
    watch_all(owner, [execution_uuid])
    simulator.fail_next("malformed")
    polling.run_cycle()
    execution = Execution.objects.get()
    assert execution.poll_state == PollState.INVALID
    assert execution.last_poll_error


def test_running_a_batch_task_twice_changes_nothing(simulator, owner):
    uuids = simulator.create_many(5)
    watch_all(owner, uuids)
    [(token, ids)] = polling.claim_batches(Execution.objects.due(timezone.now()), timezone.now())
    first = polling.poll_claimed(ids, token)
    second = polling.poll_claimed(ids, token)
    assert (first.polled, second.polled) == (5, 0)
    assert simulator.stats.list_requests == 1
    assert Snapshot.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_on_the_same_due_set_never_poll_an_execution_twice(simulator, owner):
    uuids = simulator.create_many(600)
    watch_all(owner, uuids)
    barrier = threading.Barrier(2)
    claimed, errors = [], []

    def dispatcher():
        try:
            barrier.wait(timeout=10)
            sent = polling.dispatch(send=lambda ids, token: polling.poll_claimed(ids, token))
            claimed.extend(i for _, ids in sent for i in ids)
        except Exception as exc:  # surfaced below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == 600
    # Plannr was asked about each execution exactly once.
    assert sum(simulator.stats.list_uuid_counts) == 600
    assert Snapshot.objects.count() == 600


def test_poll_command_reports_the_cycle(simulator, owner, capsys):
    uuids = simulator.create_many(3)
    watch_all(owner, uuids)
    call_command("poll")
    out = capsys.readouterr().out
    assert "polled 3 execution(s) in 1 batch(es) with 1 request(s)" in out
