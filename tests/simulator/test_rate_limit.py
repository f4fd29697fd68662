"""Laravel's per-token window: X-Ratelimit headers, 429 with Retry-After, reset after 60 s."""

import pytest
import requests

from simulator.server import SimulatorServer
from simulator.world import World
from tests.simulator.helpers import EXECUTIONS, api_get


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def limited():
    clock = FakeClock()
    server = SimulatorServer(
        World(executions=0), tokens=("a", "a2"), second_token="b", rate_limit_per_minute=3, clock=clock
    )
    with server:
        yield server, clock


def get(server, token):
    user = server.second_user if token == "b" else server.user
    headers = {"Authorization": f"Bearer {token}", "X-PLANNR-ACCOUNT-UUID": user.account_uuid}
    return requests.get(server.url + EXECUTIONS, headers=headers, timeout=5)


def test_remaining_counts_down_then_429_with_retry_after(limited):
    server, clock = limited
    assert [get(server, "a").headers["X-Ratelimit-Remaining"] for _ in range(3)] == ["2", "1", "0"]
    clock.now += 20.2
    refused = get(server, "a")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert refused.headers["X-Ratelimit-Remaining"] == "0"
    assert refused.headers["X-Ratelimit-Limit"] == "3"
    assert refused.json()["message"]
    assert server.stats["rate_limited"] == 1


def test_refused_requests_do_not_extend_the_window_and_it_resets_after_60s(limited):
    server, clock = limited
    for _ in range(3):
        get(server, "a")
    for _ in range(5):
        assert get(server, "a").status_code == 429
    clock.now += 59.5
    assert get(server, "a").headers["Retry-After"] == "1"  # never 0
    clock.now += 0.5
    fresh = get(server, "a")
    assert fresh.status_code == 200 and fresh.headers["X-Ratelimit-Remaining"] == "2"


def test_each_user_has_its_own_budget_shared_by_all_their_tokens(limited):
    server, _ = limited
    for _ in range(3):
        get(server, "a")
    assert get(server, "a").status_code == 429
    assert get(server, "a2").status_code == 429  # another token of the same Plannr user
    assert get(server, "b").status_code == 200


def test_limit_can_change_at_runtime(simulator):
    simulator.set_rate_limit(2)
    assert [api_get(simulator, EXECUTIONS).status_code for _ in range(3)] == [200, 200, 429]
    simulator.rate_limit_per_minute = 10
    response = api_get(simulator, EXECUTIONS)
    assert response.status_code == 200 and response.headers["X-Ratelimit-Limit"] == "10"


def test_scheduled_429_carries_the_requested_retry_after_and_costs_no_budget(simulator):
    simulator.fail_next("429", retry_after=7)
    refused = api_get(simulator, EXECUTIONS)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"
    ok = api_get(simulator, EXECUTIONS)
    assert ok.status_code == 200 and ok.headers["X-Ratelimit-Remaining"] == "499"
    assert simulator.stats.rate_limited == 1
