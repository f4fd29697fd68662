"""/api/v1/watches: the page's rules and messages, through the API."""

import uuid as uuid_lib

import pytest

from executions.models import Execution, Watch
from tests.builders import make_execution, watch

pytestmark = pytest.mark.django_db

A, B, C = (str(uuid_lib.uuid4()) for _ in range(3))


def test_listing_filters_and_pages(owner_api, owner, other_user):
    failing = watch(owner, label="onboarding", status="failed", is_failing=True, name="Welcome pack")
    for n in range(4):
        watch(owner, name=f"Review {n}")
    watch(other_user, name="Someone else's")
    body = owner_api.get("watches", {"page_size": 2, "sort": "name"}).json()
    assert body["total"] == 5 and body["pages"] == 3 and len(body["items"]) == 2
    assert [i["execution"]["name"] for i in body["items"]] == ["Review 0", "Review 1"]
    assert body["counts"]["total"] == 5 and body["counts"]["failing"] == 1
    body = owner_api.get("watches", {"status": "failing"}).json()
    assert [i["id"] for i in body["items"]] == [failing.pk]
    body = owner_api.get("watches", {"q": "onboarding"}).json()
    assert [i["label"] for i in body["items"]] == ["onboarding"]


def test_a_bad_sort_is_a_422(owner_api):
    response = owner_api.get("watches", {"sort": "nonsense"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request" and body["errors"][0]["field"].endswith("sort")


def test_adding_valid_uuids_answers_201(owner_api, owner):
    response = owner_api.post("watches", {"uuids": [A, B.upper()], "label": "batch 7"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["added"] == 2 and [r["outcome"] for r in body["results"]] == ["added", "added"]
    assert set(Watch.objects.filter(user=owner).values_list("label", flat=True)) == {"batch 7"}
    # Polling is scheduled exactly as for the page.
    assert Execution.objects.filter(uuid=A, next_poll_at__isnull=False).exists()


def test_a_mixed_paste_answers_207_with_the_pages_messages(owner_api, owner):
    watch(owner, make_execution(uuid=uuid_lib.UUID(C)))
    response = owner_api.post("watches", {"uuids": [A, "not-a-uuid", f"{{{A}}}", C, ""]})
    assert response.status_code == 207
    body = response.json()
    results = {r["item"]: r for r in body["results"]}
    assert results[1]["outcome"] == "added" and results[1]["watch_id"]
    assert results[2] == {
        "item": 2,
        "input": "not-a-uuid",
        "outcome": "invalid",
        "uuid": None,
        "message": "Line 2: not-a-uuid is not a valid UUID.",
        "watch_id": None,
    }
    assert (
        results[3]["outcome"] == "duplicate"
        and results[3]["message"] == f"Line 3: {A} repeats line 1, added once."
    )
    assert results[4]["outcome"] == "already_watched" and "Already watched" in results[4]["message"]
    assert (body["added"], body["already_watched"], body["duplicates"], body["invalid"]) == (1, 1, 1, 1)
    assert Watch.objects.filter(user=owner).count() == 2


def test_nothing_valid_answers_422_with_one_message_per_item(owner_api, owner):
    response = owner_api.post("watches", {"uuids": ["abc", "12345678-1234-1234-1234-12345678901"]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_uuids"
    assert [r["message"] for r in body["results"]] == [
        "Line 1: abc is not a valid UUID.",
        "Line 2: 12345678-1234-1234-1234-12345678901 is not a valid UUID.",
    ]
    assert not Watch.objects.exists()


def test_a_line_break_inside_an_item_does_not_shift_the_items(owner_api):
    body = owner_api.post("watches", {"uuids": ["bad\nworse", A]}).json()
    assert [(r["item"], r["outcome"]) for r in body["results"]] == [
        (1, "invalid"),
        (1, "invalid"),
        (2, "added"),
    ]


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"uuids": []}, "Paste at least one execution UUID."),
        ({"uuids": ["  "]}, "Paste at least one execution UUID."),
        ({"uuids": [A], "label": "x" * 201}, "at most 200 characters"),
        ({"uuids": ["a\x00b"]}, "should match pattern"),
    ],
)
def test_bad_requests_answer_422_and_add_nothing(owner_api, payload, message):
    response = owner_api.post("watches", payload)
    assert response.status_code == 422
    assert message in response.json()["message"]
    assert not Watch.objects.exists()


def test_too_many_items_are_refused_whole(owner_api, settings):
    settings.WATCH_PASTE_LIMIT = 2
    response = owner_api.post("watches", {"uuids": [A, B, C]})
    assert response.status_code == 422
    assert response.json()["message"].startswith("That paste holds 3 UUIDs on 3 lines; at most 2")
    assert not Watch.objects.exists()


def test_label_mute_and_delete(owner_api, owner):
    w = watch(owner)
    uuid = w.execution.uuid
    response = owner_api.patch(f"watches/{uuid}", {"label": "  priority  "})
    assert response.status_code == 200 and response.json()["label"] == "priority"
    response = owner_api.patch(f"watches/{uuid}", {"muted": True})
    assert response.json()["muted"] is True and response.json()["label"] == "priority"
    w.refresh_from_db()
    assert w.muted and w.label == "priority"
    assert owner_api.patch(f"watches/{uuid}", {"label": "y" * 201}).status_code == 422
    assert owner_api.delete(f"watches/{uuid}").status_code == 204
    assert not Watch.objects.filter(pk=w.pk).exists()
    # Nobody watches it any more: polling stops, as when the page's button is used.
    assert Execution.objects.get(uuid=uuid).next_poll_at is None
    assert owner_api.get(f"watches/{uuid}").status_code == 404


def test_another_users_watch_is_a_404_and_stays_unchanged(owner_api, other_user):
    theirs = watch(other_user, label="theirs")
    uuid = theirs.execution.uuid
    for response in (
        owner_api.get(f"watches/{uuid}"),
        owner_api.patch(f"watches/{uuid}", {"label": "mine now", "muted": True}),
        owner_api.delete(f"watches/{uuid}"),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "No such watch."}
    theirs.refresh_from_db()
    assert theirs.label == "theirs" and not theirs.muted
    assert owner_api.get("watches").json()["total"] == 0
