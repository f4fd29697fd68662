"""Discovery end to end: monitors sweep the simulator over real HTTP."""

import time
import uuid as uuid_lib

import pytest

from executions.models import Execution, Snapshot
from monitors import discovery
from monitors.models import Monitor
from simulator import stories
from tests.monitors import builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

HOUR = 3600
DAY = 86400
WELCOME = stories.BLUEPRINTS[0]
REVIEW = stories.BLUEPRINTS[1]


def _old(simulator, n, age_seconds, **fields):
    return [simulator.create_execution(created_at=time.time() - age_seconds, **fields)["uuid"] for _ in range(n)]


def test_an_everything_monitor_from_now_finds_exactly_what_is_created_after_it_in_one_sweep(simulator, owner):
    before = _old(simulator, 4, HOUR)
    monitor = builders.everything(owner)
    after = [simulator.create_execution()["uuid"] for _ in range(3)]
    simulator.reset_stats()

    outcome = discovery.sweep()

    assert builders.found(monitor) == set(after)
    assert not Execution.objects.filter(uuid__in=before).exists()
    assert sorted(outcome.new_executions) == sorted(after)
    assert simulator.stats.list_requests == 1 and simulator.stats.requests == 1


def test_the_list_payload_is_the_first_poll_and_is_not_fetched_again(simulator, owner):
    builders.everything(owner)
    failed = simulator.create_execution(
        status="failed", steps=[{"name": "Send SMS", "status": "failed", "info": "no phone number"}]
    )["uuid"]
    simulator.reset_stats()

    discovery.sweep()

    execution = Execution.objects.get(uuid=failed)
    assert execution.status == "failed" and execution.is_failing and execution.last_polled_at
    assert execution.steps.count() == 1 and Snapshot.objects.filter(execution=execution).count() == 1
    assert execution.claim_token is None and execution.next_poll_at is not None  # one more poll confirms
    assert execution.account_name  # listed with include=account, like a poll
    assert simulator.stats.single_requests == 0 and simulator.stats.list_uuid_counts == [0]


def test_an_idle_sweep_costs_one_request_per_scope(simulator, owner):
    client_a, client_b = str(uuid_lib.uuid4()), str(uuid_lib.uuid4())
    _old(simulator, 3, HOUR, account={"uuid": client_a})
    _old(simulator, 600, 10 * 60)  # more than a page: the walk must still stop at page 1
    builders.everything(owner)
    builders.everything(owner, name="Second everything")
    builders.blueprint(owner, WELCOME.uuid)
    builders.clients(owner, [client_a])
    builders.clients(owner, [client_b, client_a])
    discovery.sweep()
    simulator.reset_stats()

    outcome = discovery.sweep()

    # everything (shared), one blueprint, one batch of clients.
    assert [s.key for s in outcome.scopes] == ["everything", f"blueprint:{WELCOME.uuid}", "clients:1"]
    assert simulator.stats.requests == 3 == outcome.requests
    assert all(s.complete for s in outcome.scopes)
    assert set(Monitor.objects.values_list("last_sweep_found", flat=True)) == {0}


def test_a_blueprint_monitor_finds_only_its_blueprints_executions(simulator, owner):
    monitor = builders.blueprint(owner, REVIEW.uuid, backfill_days=1)
    mine = _old(simulator, 3, HOUR, name=REVIEW.name) + [simulator.create_execution(name=REVIEW.name)["uuid"]]
    _old(simulator, 3, HOUR, name=WELCOME.name)

    discovery.sweep()

    assert builders.found(monitor) == set(mine)
    assert monitor.blueprint_name == REVIEW.name and monitor.blueprint_trigger == REVIEW.trigger
    assert [s["name"] for s in monitor.blueprint_steps] == [s.name for s in REVIEW.steps]


def test_a_client_monitor_finds_only_its_clients_executions(simulator, owner):
    client_a, client_b, client_c = (str(uuid_lib.uuid4()) for _ in range(3))
    first = builders.clients(owner, [client_a, client_b], backfill_days=1)
    second = builders.clients(owner, [client_c], backfill_days=1)
    of_a = _old(simulator, 2, HOUR, account={"uuid": client_a})
    of_b = _old(simulator, 1, HOUR, account={"uuid": client_b})
    of_c = _old(simulator, 2, HOUR, account={"uuid": client_c})
    _old(simulator, 4, HOUR)  # other clients
    simulator.reset_stats()

    outcome = discovery.sweep()

    assert builders.found(first) == set(of_a + of_b)
    assert builders.found(second) == set(of_c)
    assert simulator.stats.requests == 1  # both monitors' clients in one filter
    assert [s.key for s in outcome.scopes] == ["clients:1"]


def test_backfill_finds_exactly_the_executions_in_its_window(simulator, owner):
    too_old = _old(simulator, 2, 3 * DAY + HOUR)
    inside = _old(simulator, 2, 3 * DAY - HOUR) + _old(simulator, 2, HOUR)
    monitor = builders.everything(owner, backfill_days=3)
    later = simulator.create_execution()["uuid"]

    discovery.sweep()

    assert builders.found(monitor) == set(inside + [later])
    assert not Execution.objects.filter(uuid__in=too_old).exists()


def test_discovery_finds_everything_although_the_server_defaults_to_name_order_and_15_a_page(simulator, owner):
    monitor = builders.everything(owner, backfill_days=1)
    # Newest first is the reverse of name order here: a client that relied on the
    # server's defaults would see only the 15 oldest, and stop.
    uuids = []
    for i in range(40):
        uuids += _old(simulator, 1, HOUR - i * 10, name=f"Automation {chr(90 - i // 2)}{i:02d}")
    simulator.reset_stats()

    discovery.sweep()

    assert builders.found(monitor) == set(uuids)
    assert simulator.stats.requests == 1


def test_narrowing_by_name_and_trigger(simulator, owner):
    monitor = builders.everything(
        owner, backfill_days=1, name_contains="welcome", triggered_by=["client.created"]
    )
    wanted = _old(simulator, 2, HOUR, name=WELCOME.name, triggered_by="client.created")
    _old(simulator, 2, HOUR, name=WELCOME.name, triggered_by="client.updated")
    _old(simulator, 2, HOUR, name=REVIEW.name, triggered_by="client.created")

    discovery.sweep()

    assert builders.found(monitor) == set(wanted)


def test_the_page_cap_records_the_lag_and_the_next_sweeps_resume_where_it_stopped(simulator, owner, settings):
    settings.DISCOVERY_MAX_PAGES = 2
    now = time.time()
    history = [u for i in range(3) for u in _old(simulator, 500, (3 - i) * HOUR)]  # three pages, an hour apart
    history += _old(simulator, 100, 4 * HOUR)
    monitor = builders.everything(owner, backfill_days=1)

    outcome = discovery.sweep()

    monitor.refresh_from_db()
    assert outcome.scopes[0].pages == 2 and not outcome.scopes[0].complete
    assert monitor.findings.count() == 1000
    assert monitor.high_water is None
    # The oldest reached is 2 h ago; the window starts 24 h ago.
    assert 21 * HOUR < monitor.lag_seconds < 23 * HOUR

    # New executions arrive; the next sweep reads them, then jumps to where the first stopped.
    new = [simulator.create_execution(created_at=now + i)["uuid"] for i in range(30)]
    simulator.reset_stats()
    second = discovery.sweep()
    assert simulator.stats.requests == 2 and not second.scopes[0].complete
    # Two pages a sweep: the top, then onwards from where the last one stopped.
    third = discovery.sweep()
    assert not third.scopes[0].complete and third.requests == 2
    fourth = discovery.sweep()

    monitor.refresh_from_db()
    assert fourth.scopes[0].complete and monitor.lag_seconds == 0
    assert builders.found(monitor) == set(history + new)
    assert monitor.high_water is not None and monitor.backlog_top is None
    simulator.reset_stats()
    assert discovery.sweep().new_executions == [] and simulator.stats.requests == 1


def test_a_paused_monitor_is_not_swept_until_its_pause_ends(simulator, owner):
    from datetime import timedelta

    from django.utils import timezone

    from monitors import services

    monitor = builders.everything(owner, backfill_days=1)
    services.pause(monitor, until=timezone.now() + timedelta(hours=1))
    created = simulator.create_execution()["uuid"]
    assert discovery.sweep().scopes == []
    assert discovery.sweep(now=timezone.now() + timedelta(hours=2)).new_executions == [created]


def test_client_uuids_are_split_so_every_url_stays_under_8_kb(simulator, owner):
    many = [str(uuid_lib.uuid4()) for _ in range(450)]
    builders.clients(owner, many[:300])
    builders.clients(owner, many[200:])
    base = "https://api.plannrcrm.com"
    chunks = discovery.client_chunks(sorted(many), base)
    assert sorted(u for c in chunks for u in c) == sorted(many)
    scope = discovery.ScopeSweep("x", "/api/v1/automation-executions")
    for chunk in chunks:
        scope.filter_query = f"filter[client_uuids]={','.join(chunk)}"
        assert len(f"{base}{scope.path}?{scope.query(9999)}") <= discovery.MAX_URL_BYTES
    assert len(chunks) == 3

    simulator.reset_stats()
    outcome = discovery.sweep()
    assert simulator.stats.too_long == 0 and simulator.stats.requests == len(outcome.scopes)
    assert all(s.complete for s in outcome.scopes)
