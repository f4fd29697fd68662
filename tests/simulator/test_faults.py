"""Fault knobs: latency, random 500/hang/malformed shares, and scheduled faults."""

import time

import pytest
import requests

from tests.simulator.helpers import EXECUTIONS, api_get


def test_latency_delays_every_api_request(simulator):
    simulator.faults.latency = 0.3
    started = time.monotonic()
    assert api_get(simulator, EXECUTIONS).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_error_rate_one_answers_every_request_500(simulator):
    simulator.faults.update(error_rate=1.0)
    for _ in range(3):
        response = api_get(simulator, EXECUTIONS)
        assert response.status_code == 500 and response.json()["message"] == "Server Error"
    assert simulator.stats.by_status == {500: 3} and simulator.stats.faults_injected == 3


def test_a_partial_error_rate_mixes_500s_and_200s(simulator):
    simulator.faults.update(error_rate=0.5)
    statuses = [api_get(simulator, EXECUTIONS).status_code for _ in range(40)]
    assert set(statuses) == {200, 500}
    assert 8 <= statuses.count(500) <= 32


def test_hang_exceeds_the_clients_read_timeout(simulator):
    simulator.faults.update(hang_rate=1.0, hang_seconds=5)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        api_get(simulator, EXECUTIONS, timeout=(2, 0.3))
    assert time.monotonic() - started < 4


def test_malformed_rate_answers_200_with_invalid_json(simulator):
    simulator.create_many(3)
    simulator.faults.update(malformed_rate=1.0)
    response = api_get(simulator, EXECUTIONS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize("bad", [{"error_rate": 1.5}, {"latency": -1}, {"hang_rate": "x"}, {"nope": 1}])
def test_bad_knob_values_are_refused(simulator, bad):
    with pytest.raises(ValueError):
        simulator.faults.update(**bad)


def test_scheduled_faults_apply_in_order_then_stop(simulator):
    simulator.faults.hang_seconds = 5
    simulator.fail_next("500", count=2)
    simulator.fail_next("malformed")
    simulator.fail_next("401")
    simulator.fail_next("timeout")
    statuses = [api_get(simulator, EXECUTIONS).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    unauthorized = api_get(simulator, EXECUTIONS)
    assert unauthorized.status_code == 401 and unauthorized.json() == {"message": "Unauthenticated."}
    with pytest.raises(requests.exceptions.ReadTimeout):
        api_get(simulator, EXECUTIONS, timeout=(2, 0.3))
    assert api_get(simulator, EXECUTIONS).status_code == 200
    assert simulator.faults.as_dict()["scheduled"] == []


def test_unknown_scheduled_kind_is_refused(simulator):
    with pytest.raises(ValueError):
        simulator.fail_next("teapot")


def test_faults_apply_to_the_single_endpoint_too(simulator):
    created = simulator.create_execution()
    simulator.fail_next("malformed")
    response = api_get(simulator, f"{EXECUTIONS}/{created['uuid']}")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_a_failed_list_call_still_counts_with_the_uuids_it_asked_for(simulator):
    batch = ",".join(simulator.create_many(3))
    simulator.fail_next("500")
    simulator.fail_next("429")
    for _ in range(3):
        api_get(simulator, EXECUTIONS, {"filter[uuid]": batch})
    stats = simulator.stats
    assert stats.list_requests == 3 and stats.list_uuid_counts == [3, 3, 3]
    assert stats.by_status == {429: 1, 500: 1, 200: 1}
