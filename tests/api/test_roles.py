"""The API applies the pages' role rule: a user without a role, or whose role may not change
their watchlist, is refused with the API's own 403 and nothing changes."""

import pytest

from accounts import roles
from executions.models import Watch
from tests.accounts.helpers import user_in_role

from .conftest import bearer

pytestmark = pytest.mark.django_db

UUID = "6f0a3c7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"


def test_a_user_without_a_role_can_neither_read_nor_write(client):
    nobody = user_in_role("nobody", None)
    headers = bearer(nobody)
    read = client.get("/api/v1/watches", **headers)
    assert read.status_code == 403 and read.json()["code"] == "forbidden"
    write = client.post("/api/v1/watches", {"uuids": [UUID]}, content_type="application/json", **headers)
    assert write.status_code == 403
    assert not Watch.objects.exists()


def test_the_same_calls_work_for_a_viewer(client):
    viewer = user_in_role("viewer", roles.VIEWER)
    headers = bearer(viewer)
    assert client.get("/api/v1/watches", **headers).status_code == 200
    write = client.post("/api/v1/watches", {"uuids": [UUID]}, content_type="application/json", **headers)
    assert write.status_code in (200, 201, 207)
    assert Watch.objects.filter(user=viewer).count() == 1


def test_the_browser_session_is_held_to_the_same_rule(client):
    client.force_login(user_in_role("nobody", None))
    assert client.get("/api/v1/watches").status_code == 403
