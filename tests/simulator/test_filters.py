"""filter[uuid], filter[client_uuids], filter[account_uuids] and include=account on the list."""

import uuid

from tests.simulator.helpers import EXECUTIONS, api_get


def test_filter_by_uuid_returns_only_known_ones_and_counts_the_batch(simulator):
    known = simulator.create_many(4)
    simulator.create_many(10)  # noise
    unknown = str(uuid.uuid4())
    asked = known[:3] + [unknown, "not-a-uuid", known[0].upper()]
    response = api_get(simulator, EXECUTIONS, {"filter[uuid]": ",".join(asked), "per_page": 500})
    assert response.status_code == 200
    assert sorted(item["uuid"] for item in response.json()["data"]) == sorted(known[:3])
    assert simulator.stats.list_uuid_counts == [5]  # duplicates (any case) count once
    assert simulator.stats.list_requests == 1


def test_filter_by_client_and_account_uuids(simulator):
    client = str(uuid.uuid4())
    mine = [simulator.create_execution(account={"uuid": client})["uuid"] for _ in range(2)]
    simulator.create_execution()
    for name in ("filter[client_uuids]", "filter[account_uuids]"):
        data = api_get(simulator, EXECUTIONS, {name: f"{client},{uuid.uuid4()}"}).json()["data"]
        assert sorted(item["uuid"] for item in data) == sorted(mine)


def test_include_account_adds_the_account_only_when_asked(simulator):
    [execution_uuid] = simulator.create_many(1)
    params = {"filter[uuid]": execution_uuid}
    plain = api_get(simulator, EXECUTIONS, params).json()["data"][0]
    assert "account" not in plain
    with_account = api_get(simulator, EXECUTIONS, {**params, "include": "account"}).json()["data"][0]
    assert with_account["account"]["type"] == "client"
    assert {k: v for k, v in with_account.items() if k != "account"} == plain


def test_unknown_filter_or_include_or_sort_is_refused(simulator):
    for params in ({"filter[status]": "failed"}, {"include": "steps"}, {"sort": "status"}):
        response = api_get(simulator, EXECUTIONS, params)
        assert response.status_code == 400, params
        assert "not allowed" in response.json()["message"]
