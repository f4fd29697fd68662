"""414 URI Too Long above the configured request-line limit (default 8 KB, like a proxy)."""

import requests

from tests.simulator.helpers import EXECUTIONS, api_get


def batch_params(simulator, count):
    return {"filter[uuid]": ",".join(simulator.create_many(count)), "per_page": 500}


def test_200_uuids_fit_in_8kb_but_500_are_refused(simulator):
    assert simulator.max_request_line == 8192
    assert api_get(simulator, EXECUTIONS, batch_params(simulator, 200)).status_code == 200
    refused = api_get(simulator, EXECUTIONS, batch_params(simulator, 500))
    assert refused.status_code == 414
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.json()["message"] == "URI Too Long"
    assert simulator.stats.too_long == 1
    assert simulator.stats.list_uuid_counts == [200]  # a 414 never reaches the endpoint


def test_a_larger_limit_accepts_an_18kb_line_even_past_the_stdlib_64kb_ceiling(simulator):
    params = batch_params(simulator, 500)
    simulator.set_max_request_line(32 * 1024)
    response = api_get(simulator, EXECUTIONS, params)
    assert response.status_code == 200 and len(response.json()["data"]) == 500
    assert len(response.request.path_url) > 18_000

    simulator.set_max_request_line(None)  # no limit at all
    huge = {"filter[uuid]": ",".join([params["filter[uuid]"]] * 4), "per_page": 500}
    response = api_get(simulator, EXECUTIONS, huge)
    assert len(response.request.path_url) > 65_536
    assert response.status_code == 200 and len(response.json()["data"]) == 500


def test_the_connection_stays_usable_after_a_414(simulator):
    session = requests.Session()
    session.headers.update(simulator.headers())
    simulator.set_max_request_line(100)
    assert session.get(simulator.url + EXECUTIONS, params={"x": "y" * 200}, timeout=5).status_code == 414
    assert session.get(simulator.url + EXECUTIONS, timeout=5).status_code == 200
