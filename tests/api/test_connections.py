"""/api/v1/connections: read-only, Admins only, never a secret."""

import pytest

from tests.builders import make_connection

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_admins_read_connections_without_secrets_and_cannot_change_them(client, admin, operator):
    acme = make_connection("acme", token="very-secret-token")
    headers = bearer(admin)
    listed = client.get("/api/v1/connections", **headers)
    assert listed.status_code == 200
    row = next(c for c in listed.json() if c["name"] == "acme")
    assert row["state"] == "ok" and row["account_uuid"] == str(acme.account_uuid) and row["firm"] == "acme firm"
    assert "very-secret-token" not in listed.content.decode() and acme.token_encrypted not in listed.content.decode()
    assert client.get(f"/api/v1/connections/{acme.pk}", **headers).json()["name"] == "acme"
    assert client.get("/api/v1/connections/987654", **headers).status_code == 404
    assert client.post("/api/v1/connections", {}, content_type="application/json", **headers).status_code == 405
    assert client.get("/api/v1/connections", **bearer(operator)).status_code == 403
