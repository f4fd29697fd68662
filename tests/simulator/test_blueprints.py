"""The blueprint endpoints: one blueprint, and its executions."""

import uuid

from simulator.stories import BLUEPRINTS
from tests.simulator.helpers import api_get


def test_blueprint_has_the_documented_fields(simulator):
    blueprint = BLUEPRINTS[0]
    response = api_get(simulator, f"/api/v1/automation-blueprints/{blueprint.uuid}")
    assert response.status_code == 200
    body = response.json()
    assert body["uuid"] == blueprint.uuid and body["name"] == blueprint.name
    for field in ("trigger", "is_active", "conditions", "configuration", "steps", "webhook_targets"):
        assert field in body
    assert body["steps_count"] == len(body["steps"]) >= 3
    assert set(body["steps"][0]) == {
        "uuid", "name", "type", "configuration", "parent_step_uuid", "condition_state"
    }
    assert body["steps"][1]["parent_step_uuid"] == body["steps"][0]["uuid"]


def test_blueprint_executions_lists_only_that_blueprints_executions(simulator):
    first, second = BLUEPRINTS[0], BLUEPRINTS[1]
    mine = {simulator.create_execution(name=first.name)["uuid"] for _ in range(3)}
    simulator.create_execution(name=second.name)
    path = f"/api/v1/automation-blueprints/{first.uuid}/executions"
    body = api_get(simulator, path, {"per_page": 2}).json()
    assert body["meta"]["total"] == 3 and body["meta"]["last_page"] == 2
    rest = api_get(simulator, body["links"]["next"].removeprefix(simulator.url)).json()
    assert {item["uuid"] for item in body["data"] + rest["data"]} == mine
    one = sorted(mine)[0]
    filtered = api_get(simulator, path, {"filter[uuid]": one}).json()
    assert [item["uuid"] for item in filtered["data"]] == [one]
    assert simulator.stats.blueprint_requests == 3


def test_unknown_blueprint_is_404(simulator):
    unknown = f"/api/v1/automation-blueprints/{uuid.uuid4()}"
    for path in (unknown, f"{unknown}/executions"):
        response = api_get(simulator, path)
        assert response.status_code == 404 and "message" in response.json()
