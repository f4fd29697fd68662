"""Polling at scale, as `make bench` found it must be: claims that fit the budget,
a token per batch, and no parsing of unchanged payloads.
"""

import pytest
from django.utils import timezone

from executions import polling
from executions.models import Execution, Snapshot
from connections.clients import default_client
from plannr import PlannrExecution
from tests.executions.polling_helpers import watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def test_dispatch_claims_only_what_the_budget_still_allows_in_this_window(simulator, owner, settings):
    settings.PLANNR_RATE_LIMIT_PER_MINUTE = 5
    settings.PLANNR_BATCH_SIZE = 2
    watch_all(owner, simulator.create_many(20))
    client = default_client()
    for _ in range(3):  # requests already sent in this window, by any worker
        assert client.rate_limiter.try_acquire(client.token_fingerprint) == 0

    sent = polling.dispatch(send=lambda ids, token: None)
    # 2 requests left × 2 UUIDs each: the other 16 stay due, nothing waits in a worker.
    assert sum(len(ids) for _, ids in sent) == 4
    assert Execution.objects.filter(claim_token__isnull=False).count() == 4

    for _ in range(2):
        assert client.rate_limiter.try_acquire(client.token_fingerprint) == 0
    assert polling.dispatch(send=lambda ids, token: pytest.fail("claimed beyond the budget")) == []


def test_an_unchanged_payload_is_not_parsed(simulator, owner, monkeypatch):
    uuids = simulator.create_many(10)
    watch_all(owner, uuids)
    polling.run_cycle()
    simulator.drive(uuids[3], add_steps=[{"name": "Send email", "status": "completed"}])
    Execution.objects.update(next_poll_at=timezone.now())

    parsed = []
    original = PlannrExecution.from_payload.__func__
    monkeypatch.setattr(
        PlannrExecution,
        "from_payload",
        classmethod(lambda cls, data: parsed.append(data["uuid"]) or original(cls, data)),
    )
    outcome = polling.run_cycle()
    assert [b.changed for b in outcome.batches] == [1]
    assert parsed == [uuids[3]]
    assert Snapshot.objects.count() == 11
    assert Execution.objects.get(uuid=uuids[3]).steps.count() == 3


def test_get_payloads_answers_raw_payloads_keyed_by_normalised_uuid(simulator):
    uuids = simulator.create_many(2)
    payloads = default_client().get_payloads([u.upper() for u in uuids])
    assert sorted(payloads) == sorted(uuids)
    assert all(isinstance(p, dict) and p["uuid"] == u for u, p in payloads.items())
    assert payloads[uuids[0]]["account"]  # asked with include=account, as polling does


def test_each_batch_of_a_cycle_is_claimed_under_its_own_token(simulator, owner):
    watch_all(owner, simulator.create_many(450))
    sent = polling.dispatch(send=lambda ids, token: None)
    assert [len(ids) for _, ids in sent] == [200, 200, 50]
    assert len({token for token, _ in sent}) == 3
    for token, ids in sent:
        # A batch's queries select by token: they must find its own rows and no others.
        assert sorted(Execution.objects.filter(claim_token=token).values_list("pk", flat=True)) == sorted(ids)
    for token, ids in sent:
        polling.poll_claimed(ids, token)
    assert not Execution.objects.filter(claim_token__isnull=False).exists()
    assert sum(simulator.stats.list_uuid_counts) == 450
