"""The simulator answers like multi-tenant Plannr: logins, the account header, a second user, OAuth."""

import requests

from simulator.control import SimulatorControl
from tests.fixtures.simulator import OAUTH_CLIENT, SECOND_TOKEN
from tests.simulator.helpers import EXECUTIONS, api_get

LOGINS = "/api/v1/logins"


def test_logins_list_a_firm_and_a_client_account_and_the_preferred_one(simulator):
    body = requests.get(
        simulator.url + LOGINS, headers={"Authorization": f"Bearer {simulator.token}"}, timeout=5
    ).json()
    types = [login["account"]["type"] for login in body["data"]]
    assert types == ["employee", "client"]
    assert body["data"][0]["account"]["uuid"] == simulator.account_uuid
    assert body["data"][0]["firm"]["name"] == "Simulated Financial Planning Ltd"
    assert body["data"][0]["uuid"] != simulator.account_uuid  # the login's own uuid is another one
    assert body["preferred_account_uuid"] == simulator.account_uuid
    simulator.user.preferred = "login"
    body = api_get(simulator, LOGINS).json()
    assert "preferred_account_uuid" not in body
    assert body["data"][0]["preferred_account_uuid"] == simulator.account_uuid


def test_automation_endpoints_refuse_a_missing_or_foreign_account_with_403(simulator):
    simulator.create_execution()
    bare = {"Authorization": f"Bearer {simulator.token}", "Accept": "application/json"}
    missing = requests.get(simulator.url + EXECUTIONS, headers=bare, timeout=5)
    assert missing.status_code == 403 and "X-PLANNR-ACCOUNT-UUID" in missing.json()["message"]
    foreign = api_get(simulator, EXECUTIONS, account=simulator.second_user.account_uuid)
    assert foreign.status_code == 403 and foreign.json()["message"]
    assert simulator.stats.forbidden == 2 and simulator.stats.without_account == 1
    assert api_get(simulator, EXECUTIONS).json()["meta"]["total"] == 1
    client_view = api_get(simulator, EXECUTIONS, account=simulator.user.client_account["uuid"])
    assert client_view.status_code == 200 and client_view.json()["data"] == []


def test_a_second_token_has_its_own_account_and_executions(simulator):
    mine = simulator.create_execution()["uuid"]
    theirs = simulator.second_user.world.create_execution()["uuid"]
    second = simulator.second_user.account_uuid
    listed = api_get(simulator, EXECUTIONS, token=SECOND_TOKEN, account=second).json()["data"]
    assert [e["uuid"] for e in listed] == [theirs]
    assert api_get(simulator, f"{EXECUTIONS}/{mine}", token=SECOND_TOKEN, account=second).status_code == 404
    assert api_get(simulator, EXECUTIONS, token=SECOND_TOKEN).status_code == 403  # the first user's account


def test_control_revokes_expires_and_restores_a_token(simulator):
    with SimulatorControl(simulator.url, simulator.token) as control:
        control.revoke_token()
        assert api_get(simulator, EXECUTIONS).status_code == 401
        assert api_get(simulator, LOGINS).status_code == 401
        control.restore_token()
        assert api_get(simulator, EXECUTIONS).status_code == 200
        control.expire_token()
        assert api_get(simulator, EXECUTIONS).json() == {"message": "Unauthenticated."}
        control.restore_token()
    second = simulator.second_user.account_uuid
    assert api_get(simulator, EXECUTIONS, token=SECOND_TOKEN, account=second).status_code == 200


def _authorize(simulator, redirect="http://app.example/oauth/callback"):
    client_id, _ = OAUTH_CLIENT
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "state": "s1"}
    answer = requests.get(simulator.url + "/oauth/authorize", params=params, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(redirect + "?") and "state=s1" in location
    return location.split("code=")[1].split("&")[0]


def _token(simulator, **form):
    client_id, secret = OAUTH_CLIENT
    return requests.post(
        simulator.url + "/oauth/token", data={"client_id": client_id, "client_secret": secret, **form}, timeout=5
    )


def test_oauth_code_grant_refresh_and_short_lived_access_tokens(simulator):
    redirect = "http://app.example/oauth/callback"
    code = _authorize(simulator, redirect)
    granted = _token(simulator, grant_type="authorization_code", code=code, redirect_uri=redirect).json()
    assert granted["token_type"] == "Bearer" and granted["expires_in"] == 3600
    assert api_get(simulator, EXECUTIONS, token=granted["access_token"]).status_code == 200
    again = _token(simulator, grant_type="authorization_code", code=code, redirect_uri=redirect)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # a code works once

    simulator.server.tenancy.access_token_seconds = -1  # the next access token is born expired
    refreshed = _token(simulator, grant_type="refresh_token", refresh_token=granted["refresh_token"]).json()
    assert api_get(simulator, EXECUTIONS, token=refreshed["access_token"]).status_code == 401
    reused = _token(simulator, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert reused.status_code == 400  # refresh tokens rotate

    with SimulatorControl(simulator.url, simulator.token) as control:
        control.revoke_token()
    failed = _token(simulator, grant_type="refresh_token", refresh_token=refreshed["refresh_token"])
    assert failed.status_code == 400 and failed.json()["error"] == "invalid_grant"
    bad_client = _token(simulator, grant_type="refresh_token", refresh_token="x", client_secret="wrong")
    assert bad_client.status_code == 401
