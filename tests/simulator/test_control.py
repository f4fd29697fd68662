"""The /_simulator/ control API and its Python client (used by the demo and benchmarks)."""

import pytest
import requests

from simulator.control import SimulatorControl, SimulatorControlError
from tests.simulator.helpers import EXECUTIONS, api_get


@pytest.fixture
def control(simulator):
    with SimulatorControl(simulator.url, simulator.token) as client:
        yield client


def test_control_needs_the_token(simulator):
    assert requests.get(f"{simulator.url}/_simulator/stats", timeout=5).status_code == 401
    with pytest.raises(SimulatorControlError, match="401"):
        SimulatorControl(simulator.url, "wrong").stats()


def test_create_drive_remove_through_control(simulator, control):
    created = control.create_execution(steps=[{"name": "Send SMS"}], next_step="Send email")
    assert simulator.world.get(created["uuid"]) == created
    failed_step = {"0": {"status": "failed", "info": "boom"}}
    driven = control.drive(created["uuid"], update_steps=failed_step, next_step=None, status="failed")
    assert driven["status"] == "failed" and driven["steps"][0]["info"] == "boom"
    assert driven["next_step"] is None
    kept = control.drive(created["uuid"], status="failed")
    assert kept["next_step"] is None  # next_step left out means unchanged
    assert created["uuid"] in control.uuids()
    control.remove(created["uuid"])
    assert simulator.world.get(created["uuid"]) is None
    with pytest.raises(SimulatorControlError, match="404"):
        control.drive(created["uuid"], status="completed")


def test_bulk_create_and_bad_arguments(simulator, control):
    uuids = control.create_many(250, status="completed", steps=3)
    assert len(uuids) == 250 and simulator.world.get(uuids[0])["status"] == "completed"
    with pytest.raises(SimulatorControlError, match="400"):
        control.create_execution(colour="blue")
    with pytest.raises(SimulatorControlError, match="400"):
        control.drive(uuids[0], update_steps={"9": {"status": "failed"}})


def test_stats_are_not_counted_or_rate_limited_and_can_be_reset(simulator, control):
    simulator.set_rate_limit(1)
    api_get(simulator, EXECUTIONS)
    for _ in range(3):
        stats = control.stats()
    assert stats["requests"] == 1 and stats["list_requests"] == 1 and stats["by_status"] == {"200": 1}
    assert stats["rate_limit_per_minute"] == 1
    control.reset_stats()
    assert control.stats()["requests"] == 0


def test_faults_and_limits_through_control(simulator, control):
    described = control.set_faults(error_rate=1.0, rate_limit_per_minute=50, max_request_line=None)
    assert described["faults"]["error_rate"] == 1.0 and described["max_request_line"] is None
    response = api_get(simulator, EXECUTIONS)
    assert response.status_code == 500 and response.headers["X-Ratelimit-Limit"] == "50"
    control.set_faults(reset=True)
    assert api_get(simulator, EXECUTIONS).status_code == 200
    with pytest.raises(SimulatorControlError, match="400"):
        control.set_faults(error_rate=2)
    control.fail_next("429", retry_after=9)
    refused = api_get(simulator, EXECUTIONS)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "9"
