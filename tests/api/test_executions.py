"""/api/v1/executions: the watchlist's filters and sort, cursor paging, incremental sync, detail, history."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from executions.models import Execution, FailureKind, Watch
from tests.builders import add_snapshot, add_step, watch

pytestmark = pytest.mark.django_db


def walk(api, **params):
    """Every item of a listing, following the cursors."""
    items, cursor, pages = [], None, 0
    while True:
        body = api.get("executions", {**params, **({"cursor": cursor} if cursor else {})}).json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.mark.parametrize("sort", ["name", "-name", "polled", "-polled", "progress", "-watched"])
def test_cursor_pages_cover_every_row_once_in_the_watchlists_order(owner_api, owner, other_user, sort):
    now = timezone.now()
    for n in range(7):
        # Repeated names and null poll times make the tiebreaker and NULLS LAST matter.
        watch(
            owner,
            name=f"Blueprint {n % 3}",
            last_polled_at=None if n % 2 else now - timedelta(seconds=n),
            steps_done=n % 2,
        )
    watch(other_user, name="Blueprint 0")
    items, pages = walk(owner_api, sort=sort, limit=3)
    assert pages == 3 and len(items) == 7
    assert len({i["uuid"] for i in items}) == 7
    page_order = owner_api.get("watches", {"sort": sort, "page_size": 50}).json()["items"]
    assert [i["uuid"] for i in items] == [w["execution"]["uuid"] for w in page_order]


def test_filters_are_the_watchlists(owner_api, owner):
    watch(owner, status="failed", is_failing=True)
    watch(owner, status="completed")
    watch(owner, status="")
    assert [i["status"] for i in owner_api.get("executions", {"status": "failing"}).json()["items"]] == [
        "failed"
    ]
    assert [i["status"] for i in owner_api.get("executions", {"status": "not-polled"}).json()["items"]] == [
        ""
    ]


def test_updated_since_returns_only_what_changed(owner_api, owner):
    old = timezone.now() - timedelta(hours=1)
    stale = watch(owner, last_polled_at=old)
    fresh = watch(owner, last_polled_at=old)
    Execution.objects.filter(pk=stale.execution_id).update(updated_at=old)
    Execution.objects.filter(pk=fresh.execution_id).update(updated_at=old)
    Watch.objects.filter(pk__in=[stale.pk, fresh.pk]).update(updated_at=old)
    body = owner_api.get("executions").json()
    since = body["server_time"]
    assert len(body["items"]) == 2
    assert owner_api.get("executions", {"updated_since": since}).json()["items"] == []
    Execution.objects.filter(pk=fresh.execution_id).update(last_polled_at=timezone.now())
    items = owner_api.get("executions", {"updated_since": since}).json()["items"]
    assert [i["uuid"] for i in items] == [str(fresh.execution.uuid)]


@pytest.mark.parametrize("cursor", ["garbage!", "W10", "WyJoaXN0b3J5IixbXV0"])
def test_a_bad_cursor_is_a_422(owner_api, owner, cursor):
    watch(owner)
    response = owner_api.get("executions", {"cursor": cursor})
    assert response.status_code == 422 and response.json()["code"] == "invalid_cursor"


def test_a_cursor_is_tied_to_its_sort(owner_api, owner):
    for _ in range(3):
        watch(owner)
    cursor = owner_api.get("executions", {"limit": 1, "sort": "name"}).json()["next_cursor"]
    response = owner_api.get("executions", {"limit": 1, "sort": "status", "cursor": cursor})
    assert response.status_code == 422


def test_detail_has_steps_and_parsed_messages(owner_api, owner):
    w = watch(owner, label="vip", status="failed", is_failing=True)
    add_step(w.execution, position=1, name="Create client folder", executed_at=timezone.now())
    add_step(
        w.execution,
        "Send SMS",
        position=2,
        status="completed",
        info='"[{errors : "the account_uuid field is required" }]"',
        messages=["the account_uuid field is required"],
        failure_kind=FailureKind.HIDDEN,
    )
    body = owner_api.get(f"executions/{w.execution.uuid}").json()
    assert body["watch"] == {"id": w.pk, "label": "vip", "muted": False}
    assert [s["name"] for s in body["steps"]] == ["Create client folder", "Send SMS"]
    assert body["steps"][1]["failure_kind"] == "hidden"
    assert body["steps"][1]["messages"] == ["the account_uuid field is required"]
    assert body["next_step"]["name"] == "Send SMS"


def test_detail_says_client_uuid_and_keeps_account_uuid_as_a_deprecated_alias(owner_api, owner, client):
    w = watch(owner)
    Execution.objects.filter(pk=w.execution.pk).update(account_uuid=uuid.uuid4())
    w.execution.refresh_from_db()
    body = owner_api.get(f"executions/{w.execution.uuid}").json()
    assert body["client_uuid"] == body["account_uuid"] == str(w.execution.account_uuid)
    detail = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ExecutionDetail"]
    assert detail["properties"]["account_uuid"]["deprecated"] is True
    assert "deprecated" not in detail["properties"]["client_uuid"]
    assert "client_uuid" in detail["required"] and "account_uuid" not in detail["required"]


def test_history_pages_newest_first(owner_api, owner):
    w = watch(owner)
    now = timezone.now()
    for n in range(5):
        add_snapshot(
            w.execution,
            [{"kind": "status", "from": str(n), "to": str(n + 1)}],
            fetched_at=now - timedelta(minutes=n),
        )
    first = owner_api.get(f"executions/{w.execution.uuid}/history", {"limit": 3}).json()
    second = owner_api.get(
        f"executions/{w.execution.uuid}/history", {"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    changes = [i["changes"][0]["to"] for i in first["items"] + second["items"]]
    assert changes == ["1", "2", "3", "4", "5"] and second["next_cursor"] is None


def test_another_users_execution_is_a_404(owner_api, owner, other_user):
    theirs = watch(other_user)
    watch(owner)
    assert owner_api.get(f"executions/{theirs.execution.uuid}").status_code == 404
    assert owner_api.get(f"executions/{theirs.execution.uuid}/history").status_code == 404
    listed = {i["uuid"] for i in owner_api.get("executions").json()["items"]}
    assert str(theirs.execution.uuid) not in listed and len(listed) == 1


def test_every_execution_shape_names_its_connection(owner_api, owner):
    from tests.builders import make_connection

    acme = make_connection("acme")
    watch(owner, name="On acme", connection=acme)
    watch(owner, name="On default")
    listed = owner_api.get("executions", {"sort": "name"}).json()["items"]
    assert [(e["name"], e["connection"]) for e in listed] == [("On acme", "acme"), ("On default", "default")]
    watches = owner_api.get("watches", {"sort": "name"}).json()["items"]
    assert [w["execution"]["connection"] for w in watches] == ["acme", "default"]
    uuid = listed[0]["uuid"]
    assert owner_api.get(f"executions/{uuid}").json()["connection"] == "acme"
    assert owner_api.get(f"watches/{uuid}").json()["execution"]["connection"] == "acme"
