"""Short claims: a lost batch is polled again soon, a working batch keeps its claim.

The SIGKILL drill with real workers is in test_polling_worker.py.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from executions import polling, scheduling
from executions.models import Execution
from tests.executions.polling_helpers import watch_all
from tests.waiting import wait_for

pytestmark = pytest.mark.usefixtures("redis_client")


def test_a_claim_lasts_about_one_step_of_a_batch_not_five_minutes(settings):
    settings.POLL_CLAIM_SECONDS = 300
    settings.PLANNR_CONNECT_TIMEOUT, settings.PLANNR_READ_TIMEOUT, settings.POLL_INTERVAL_SECONDS = 5, 30, 15
    assert scheduling.claim_seconds() == 50
    # Every execution of a dead worker's batch is due again within 2 x interval + 60 s.
    assert scheduling.claim_seconds() <= 2 * 15 + 60
    settings.POLL_CLAIM_SECONDS = 20
    assert scheduling.claim_seconds() == 20


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_outlives_its_claim_renews_it_and_is_never_polled_twice(simulator, owner, settings):
    # A claim of 1 + 1 + 1 = 3 s; the batch takes ~5 s: one slow list request that
    # leaves out four executions, then one slow request for each of them.
    settings.PLANNR_CONNECT_TIMEOUT, settings.PLANNR_READ_TIMEOUT, settings.POLL_INTERVAL_SECONDS = 1, 1, 1
    uuids = simulator.create_many(5)
    watch_all(owner, uuids)
    for gone in uuids[1:]:
        simulator.world.remove(gone)
    simulator.faults.latency = 0.9
    [(token, ids)] = polling.claim_batches(Execution.objects.due(timezone.now()), timezone.now())
    first_until = Execution.objects.get(uuid=uuids[0]).claimed_until

    def run():
        try:
            polling.poll_claimed(ids, token)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    # Past the first claim's end, mid-batch: a dispatcher must still find nothing to take.
    wait_for(lambda: timezone.now() > first_until + timedelta(seconds=0.5), timeout=10, message="the first claim to end")
    assert worker.is_alive(), "the batch should still be working"
    waiting = list(Execution.objects.claimed_by(token).values_list("pk", flat=True))
    assert waiting, "the stragglers not yet asked about still belong to the batch"
    assert polling.claim_batches(Execution.objects.filter(pk__in=waiting), timezone.now()) == []
    worker.join(timeout=30)
    assert simulator.stats.single_requests == 4
    assert not Execution.objects.filter(claim_token__isnull=False).exists()


@pytest.mark.django_db
def test_a_batch_message_that_arrives_after_its_claim_ended_polls_nothing(simulator, owner):
    watch_all(owner, simulator.create_many(3))
    sent = []
    polling.dispatch(send=lambda rows, token: sent.append((rows, token)))
    [(rows, token)] = sent
    assert polling.poll_claimed(rows, token).polled == 3
    # Redelivered later (its claim's end has passed): it reads what the claim holds, which is nothing.
    late = [[*row[:7], time.time() - 1, *row[8:]] for row in rows]
    requests = simulator.stats.requests
    assert polling.poll_claimed(late, token).polled == 0
    assert simulator.stats.requests == requests
