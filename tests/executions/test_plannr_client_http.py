"""The Plannr client against the real HTTP simulator (tests/fixtures/simulator.py)."""

import logging
import uuid as uuid_lib

import pytest

from plannr import (
    InvalidPayload,
    NotFound,
    PlannrClient,
    PlannrExecution,
    PlannrTimeout,
    RateLimited,
    RequestTooLong,
    ServerError,
    TransportError,
    Unauthorized,
)
from simulator.stories import DEFAULT_BLUEPRINT


def client_for(simulator, **kwargs):
    kwargs.setdefault("token", simulator.token)
    kwargs.setdefault("account_uuid", simulator.account_uuid)
    return PlannrClient(simulator.url, kwargs.pop("token"), **kwargs)


def test_single_execution_with_docs_info(simulator):
    made = simulator.create_execution(
        status="in_progress",
        steps=[{"name": "Send SMS", "status": "completed",
                "info": '"[{errors : "the account_uuid field is required" }]"'}],
    )
    client = client_for(simulator)
    execution = client.get_execution(made["uuid"].upper())
    assert isinstance(execution, PlannrExecution)
    assert execution.uuid == made["uuid"]
    assert execution.status == "in_progress"
    assert execution.steps[0].info.errors == ("the account_uuid field is required",)
    assert execution.account is not None and execution.account.name
    assert execution.payload == simulator.get(made["uuid"])
    assert client.get_execution(made["uuid"], include_account=False).account is None
    assert simulator.stats.single_requests == 2
    assert client.ratelimit_limit == simulator.rate_limit_per_minute
    assert client.ratelimit_remaining == simulator.rate_limit_per_minute - 2


def test_450_uuids_at_batch_200_take_exactly_3_list_requests(simulator):
    uuids = simulator.create_many(440)
    missing = [str(uuid_lib.uuid4()) for _ in range(10)]
    client = client_for(simulator, batch_size=200)
    simulator.reset_stats()
    result = client.get_payloads(uuids + missing)
    assert set(result) == set(uuids)
    stats = simulator.stats
    assert stats.list_requests == 3
    assert stats.requests == 3
    assert stats.list_uuid_counts == [200, 200, 50]
    assert client.request_count == 3
    assert all(payload.get("account") is not None for payload in result.values())


def test_414_splits_and_lowers_batch_size(simulator, caplog):
    simulator.max_request_line = 8192
    uuids = simulator.create_many(450)
    client = client_for(simulator, batch_size=500)
    simulator.reset_stats()
    with caplog.at_level(logging.WARNING, logger="plannr"):
        result = client.get_payloads(uuids)
    assert set(result) == set(uuids)
    assert client.batch_size < 450
    assert simulator.stats.too_long >= 1
    assert sum(1 for r in caplog.records if "batch size lowered" in r.getMessage()) == 1

    # With the learned size no request is refused any more.
    simulator.reset_stats()
    assert set(client.get_payloads(uuids)) == set(uuids)
    assert simulator.stats.too_long == 0
    assert simulator.stats.list_requests == -(-450 // client.batch_size)


def test_single_uuid_too_long_raises(simulator):
    simulator.max_request_line = 40
    client = client_for(simulator)
    with pytest.raises(RequestTooLong):
        client.get_payloads([str(uuid_lib.uuid4())])


def test_blueprint(simulator):
    client = client_for(simulator)
    blueprint = client.get_blueprint(DEFAULT_BLUEPRINT.uuid)
    assert blueprint["uuid"] == DEFAULT_BLUEPRINT.uuid
    assert blueprint["name"] == DEFAULT_BLUEPRINT.name
    with pytest.raises(NotFound):
        client.get_blueprint(str(uuid_lib.uuid4()))


def test_unknown_execution_is_not_found(simulator):
    client = client_for(simulator)
    unknown = str(uuid_lib.uuid4())
    with pytest.raises(NotFound) as caught:
        client.get_execution(unknown)
    assert caught.value.status_code == 404
    assert "No query results" in str(caught.value)


def test_bad_token_is_unauthorized(simulator):
    made = simulator.create_execution()
    client = client_for(simulator, token="not-the-right-token")
    with pytest.raises(Unauthorized) as caught:
        client.get_payloads([made["uuid"]])
    assert caught.value.status_code == 401
    assert "Unauthenticated." in str(caught.value)
    assert "not-the-right-token" not in str(caught.value)
    assert simulator.stats.unauthorized == 1


def test_scheduled_401_is_unauthorized(simulator):
    made = simulator.create_execution()
    simulator.fail_next("401")
    with pytest.raises(Unauthorized):
        client_for(simulator).get_execution(made["uuid"])


def test_429_is_rate_limited_with_retry_after(simulator):
    made = simulator.create_execution()
    simulator.fail_next("429", retry_after=7)
    client = client_for(simulator)
    with pytest.raises(RateLimited) as caught:
        client.get_payloads([made["uuid"]])
    assert caught.value.retry_after == 7.0
    assert client.ratelimit_remaining == 0
    # The next request goes through.
    assert list(client.get_payloads([made["uuid"]])) == [made["uuid"]]


def test_real_rate_limit_window(simulator):
    made = simulator.create_execution()
    simulator.rate_limit_per_minute = 2
    client = client_for(simulator)
    client.get_execution(made["uuid"])
    client.get_execution(made["uuid"])
    assert client.ratelimit_remaining == 0
    with pytest.raises(RateLimited) as caught:
        client.get_execution(made["uuid"])
    assert 0 < caught.value.retry_after <= 60


def test_500_is_server_error(simulator):
    made = simulator.create_execution()
    simulator.fail_next("500")
    with pytest.raises(ServerError) as caught:
        client_for(simulator).get_payloads([made["uuid"]])
    assert caught.value.status_code == 500


def test_hang_past_read_timeout_is_plannr_timeout(simulator):
    made = simulator.create_execution()
    simulator.faults.update(hang_seconds=5)
    simulator.fail_next("hang")
    client = client_for(simulator, read_timeout=0.3)
    with pytest.raises(PlannrTimeout) as caught:
        client.get_payloads([made["uuid"]])
    assert caught.value.status_code is None
    assert isinstance(caught.value, TransportError)


def test_malformed_json_is_invalid_payload(simulator):
    made = simulator.create_execution()
    simulator.fail_next("malformed")
    with pytest.raises(InvalidPayload) as caught:
        client_for(simulator).get_payloads([made["uuid"]])
    assert caught.value.status_code == 200


def test_stopped_server_is_transport_error(simulator):
    client = client_for(simulator, connect_timeout=2)
    simulator.server.stop()
    with pytest.raises(TransportError) as caught:
        client.get_payloads([str(uuid_lib.uuid4())])
    assert type(caught.value) is TransportError


@pytest.mark.django_db
def test_the_default_connections_client_targets_the_simulator(simulator, settings):
    from connections.clients import default_client

    made = simulator.create_execution()
    client = default_client()
    assert client.base_url == simulator.url
    assert list(client.get_payloads([made["uuid"]])) == [made["uuid"]]


def test_token_never_logged_over_http(simulator, caplog):
    made = simulator.create_execution()
    client = client_for(simulator)
    simulator.fail_next("500")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ServerError):
            client.get_payloads([made["uuid"]])
        with pytest.raises(NotFound):
            client.get_execution(str(uuid_lib.uuid4()))
        assert client.get_payloads([made["uuid"]])
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("GET /api/v1/automation-executions -> 500") for m in messages)
    assert all(simulator.token not in m for m in messages)
    assert simulator.token not in repr(client)
