"""/api/v1/monitors: the monitors pages' services and permissions, in the API's shape."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import Finding, Monitor, Scope
from tests.builders import make_execution
from tests.monitors.builders import everything

pytestmark = pytest.mark.django_db

CLIENT_UUID = "6f0a3c7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"


def find(monitor, execution, ago=timedelta(minutes=5)):
    return Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now() - ago)


def test_a_viewer_reads_monitors(owner_api, admin):
    monitor = everything(admin, name="All of it")
    listing = owner_api.get("monitors")
    assert listing.status_code == 200
    assert [m["name"] for m in listing.json()["items"]] == ["All of it"]
    detail = owner_api.get(f"monitors/{monitor.pk}").json()
    assert detail["scope"] == "everything" and detail["paused"] is False
    assert owner_api.get(f"monitors/{monitor.pk + 1000}").json()["code"] == "not_found"


def test_a_viewer_may_not_change_monitors(owner_api, admin):
    monitor = everything(admin, name="All of it")
    calls = [
        owner_api.post("monitors", {"scope": "everything"}),
        owner_api.put(f"monitors/{monitor.pk}", {"scope": "everything", "name": "Renamed"}),
        owner_api.post(f"monitors/{monitor.pk}/pause", {}),
        owner_api.post(f"monitors/{monitor.pk}/resume", {}),
        owner_api.delete(f"monitors/{monitor.pk}"),
    ]
    for response in calls:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "forbidden"
    assert list(Monitor.objects.values_list("name", "paused")) == [("All of it", False)]


def test_an_admin_creates_changes_pauses_resumes_and_deletes(admin_api, admin):
    created = admin_api.post("monitors", {"scope": "clients", "client_uuids": [CLIENT_UUID], "name": "VIP"})
    assert created.status_code == 201, created.content
    monitor_id = created.json()["id"]
    monitor = Monitor.objects.get(pk=monitor_id)
    assert monitor.scope == Scope.CLIENTS and monitor.client_uuids == [CLIENT_UUID]
    assert monitor.subscriptions.filter(user=admin).exists()  # as from the page: the creator subscribes

    changed = admin_api.put(f"monitors/{monitor_id}", {"scope": "everything", "name": "All"})
    assert changed.status_code == 200 and changed.json()["scope"] == "everything"

    until = (timezone.now() + timedelta(hours=2)).isoformat()
    paused = admin_api.post(f"monitors/{monitor_id}/pause", {"until": until}).json()
    assert paused["paused"] is True and paused["paused_until"]
    assert admin_api.post(f"monitors/{monitor_id}/resume", {}).json()["paused"] is False
    assert admin_api.post(f"monitors/{monitor_id}/pause", {}).json()["paused"] is True
    assert Monitor.objects.get(pk=monitor_id).paused

    assert admin_api.delete(f"monitors/{monitor_id}").status_code == 204
    assert not Monitor.objects.exists()
    assert admin_api.delete(f"monitors/{monitor_id}").status_code == 404


def test_bad_monitor_input_answers_422_and_adds_nothing(admin_api):
    missing = admin_api.post("monitors", {"scope": "clients", "client_uuids": []})
    assert missing.status_code == 422
    assert "at least one client" in missing.json()["message"]
    bad_uuid = admin_api.post("monitors", {"scope": "clients", "client_uuids": ["nope"]})
    assert bad_uuid.status_code == 422 and "nope" in bad_uuid.json()["message"]
    unknown = admin_api.post("monitors", {"scope": "galaxy"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.scope"
    too_far = admin_api.post("monitors", {"scope": "everything", "backfill_days": 9999})
    assert too_far.status_code == 422
    assert not Monitor.objects.exists()


def test_a_pause_that_ends_in_the_past_is_refused(admin_api, admin):
    monitor = everything(admin)
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = admin_api.post(f"monitors/{monitor.pk}/pause", {"until": past})
    assert response.status_code == 422
    assert not Monitor.objects.get(pk=monitor.pk).is_paused(timezone.now())


def test_a_monitors_executions_with_filters_and_cursor(owner_api, admin):
    monitor = everything(admin)
    other = everything(admin, name="Other")
    failing = make_execution(name="Welcome pack", status="failed", is_failing=True)
    fine = [make_execution(name=f"Review {w}", status="completed") for w in ("alpha", "beta", "gamma")]
    find(monitor, failing, ago=timedelta(minutes=30))
    for n, e in enumerate(fine):
        find(monitor, e, ago=timedelta(minutes=n))
    find(other, make_execution(name="Elsewhere"))

    first = owner_api.get(f"monitors/{monitor.pk}/executions", {"limit": 2}).json()
    assert [e["name"] for e in first["items"]] == ["Welcome pack", "Review alpha"]  # failing first
    rest = owner_api.get(
        f"monitors/{monitor.pk}/executions", {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [e["name"] for e in rest["items"]] == ["Review beta", "Review gamma"] and rest[
        "next_cursor"
    ] is None

    failing_only = owner_api.get(f"monitors/{monitor.pk}/executions", {"status": "failing"}).json()
    assert [e["name"] for e in failing_only["items"]] == ["Welcome pack"]
    searched = owner_api.get(f"monitors/{monitor.pk}/executions", {"q": "review gamma"}).json()
    assert [e["name"] for e in searched["items"]] == ["Review gamma"]

    wrong_cursor = owner_api.get(f"monitors/{other.pk}/executions", {"cursor": first["next_cursor"]})
    assert wrong_cursor.status_code == 422 and wrong_cursor.json()["code"] == "invalid_cursor"
    assert owner_api.get(f"monitors/{monitor.pk + 1000}/executions").status_code == 404


def test_a_monitors_executions_as_csv(owner_api, admin):
    monitor = everything(admin)
    find(monitor, make_execution(name="=cmd|calc", status="failed", is_failing=True))
    find(monitor, make_execution(name="Review", status="completed"))
    response = owner_api.get(f"monitors/{monitor.pk}/executions.csv", {"sort": "name"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert table[0][:3] == ["uuid", "name", "status"]
    assert [r[1] for r in table[1:]] == ["'=cmd|calc", "Review"]
    assert owner_api.get(f"monitors/{monitor.pk + 1000}/executions.csv").status_code == 404


def test_a_monitors_executions_name_their_connection_in_json_and_csv(owner_api, admin):
    from tests.builders import make_connection

    monitor = everything(admin)
    find(monitor, make_execution(name="On acme", connection=make_connection("acme")))
    find(monitor, make_execution(name="On default"))
    items = owner_api.get(f"monitors/{monitor.pk}/executions", {"sort": "name"}).json()["items"]
    assert [(e["name"], e["connection"]) for e in items] == [("On acme", "acme"), ("On default", "default")]
    response = owner_api.get(f"monitors/{monitor.pk}/executions.csv", {"sort": "name"})
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert table[0][-1] == "connection" and [r[-1] for r in table[1:]] == ["acme", "default"]
