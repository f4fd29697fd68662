"""401 for a missing or bad token, 404 for unknown paths, 405 for other methods."""

import requests

from tests.simulator.helpers import EXECUTIONS, api_get


def test_missing_or_bad_token_is_401_unauthenticated(simulator):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {simulator.token}"}):
        response = requests.get(simulator.url + EXECUTIONS, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated."}
        assert response.headers["X-Ratelimit-Limit"] == "500"
    assert simulator.stats.unauthorized == 3
    assert simulator.stats.by_status == {401: 3}


def test_good_token_is_accepted_and_never_echoed(simulator):
    response = api_get(simulator, EXECUTIONS)
    assert response.status_code == 200
    assert simulator.token not in response.text
    assert all(simulator.token not in value for value in response.headers.values())


def test_unknown_path_is_404_json(simulator):
    response = api_get(simulator, "/api/v1/automation-things")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "could not be found" in response.json()["message"]


def test_non_get_on_api_paths_is_405(simulator):
    headers = {"Authorization": f"Bearer {simulator.token}", "X-PLANNR-ACCOUNT-UUID": simulator.account_uuid}
    response = requests.post(simulator.url + EXECUTIONS, json={}, headers=headers, timeout=5)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "not supported" in response.json()["message"]
