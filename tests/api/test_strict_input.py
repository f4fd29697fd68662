"""The API takes exactly what its schema says (schemathesis found requests outside it
accepted), and a request without credentials answers the documented 401."""

import pytest
from django.test import Client

from monitors.models import Monitor
from tests.api.conftest import bearer
from tests.monitors.builders import everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_headers(admin):
    return bearer(admin)


def _post(client, path, body, headers):
    return client.post(path, body, content_type="application/json", **headers)


@pytest.mark.parametrize("body", [
    '{"scope": "everything", "backfill_days": false}',
    '{"scope": "everything", "backfill_days": "3"}',
    '{"scope": "everything", "backfill_days": 3.5}',
    '{"scope": "everything", "colour": "red"}',
    '{"scope": "everything", "name": 5}',
])
def test_a_monitor_body_outside_the_schema_is_refused(client, admin_headers, body):
    response = _post(client, "/api/v1/monitors", body, admin_headers)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid_request"
    assert not Monitor.objects.exists()


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"x"', "7", "null"])
def test_a_body_that_is_not_a_json_object_is_refused(client, admin, admin_headers, body):
    monitor = everything(admin, name="Everything")
    response = _post(client, f"/api/v1/monitors/{monitor.pk}/pause", body, admin_headers)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "bad_request"
    assert response.json()["message"] == "The body must be a JSON object."
    monitor.refresh_from_db()
    assert not monitor.paused


def test_other_bodies_are_strict_too(client, owner):
    headers = bearer(owner)
    assert _post(client, "/api/v1/watches", '{"uuids": [], "extra": 1}', headers).status_code == 422
    assert client.patch("/api/v1/watches/6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f", '{"muted": "true"}',
                        content_type="application/json", **headers).status_code == 422


def test_the_right_body_still_works(client, admin, admin_headers):
    created = _post(client, "/api/v1/monitors", '{"scope": "everything", "backfill_days": 2}', admin_headers)
    assert created.status_code == 201, created.content
    monitor = Monitor.objects.get()
    paused = _post(client, f"/api/v1/monitors/{monitor.pk}/pause", '{"until": "2099-01-01T00:00:00Z"}', admin_headers)
    assert paused.status_code == 200, paused.content


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_an_anonymous_write_answers_401_not_a_csrf_failure(method):
    client = Client(enforce_csrf_checks=True)
    path = "/api/v1/watches" if method == "post" else "/api/v1/watches/6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
    response = getattr(client, method)(path, '{"uuids": []}', content_type="application/json")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "unauthorized" and response["WWW-Authenticate"] == "Bearer"


def test_a_signed_in_session_still_needs_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/api/v1/watches", '{"uuids": []}', content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


def test_414_is_documented_for_every_operation(client):
    for path, operations in client.get("/api/v1/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            assert "414" in operation["responses"], (method, path)
