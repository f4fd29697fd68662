"""Shared by the simulator tests: one authenticated GET against the running server."""

import requests

EXECUTIONS = "/api/v1/automation-executions"


def api_get(simulator, path, params=None, *, token=None, account=None, timeout=10, **kwargs):
    headers = {
        "Authorization": f"Bearer {token or simulator.token}",
        "Accept": "application/json",
        "X-PLANNR-ACCOUNT-UUID": account or simulator.account_uuid,
    }
    return requests.get(simulator.url + path, params=params, headers=headers, timeout=timeout, **kwargs)
