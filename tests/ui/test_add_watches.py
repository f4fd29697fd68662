import json
import uuid

import pytest
from django.urls import reverse

from executions.models import Execution, Watch
from tests.builders import watch
from tests.dashboard.helpers import HTMX, queued_tasks, text_of

pytestmark = pytest.mark.django_db

A = "fd4b85d4-131e-435f-ac7c-3bea19a7bf4d"
B = "cd3a3a37-6969-485f-bc38-09073f4c255c"
C = "212afe4e-0aa7-401b-a674-2bb199976e25"
URL = reverse("executions:add")


def watched(user):
    return sorted(str(u) for u in Watch.objects.filter(user=user).values_list("execution__uuid", flat=True))


def test_invalid_line_is_reported_and_the_valid_ones_are_still_added(owner_client, owner, redis_client):
    response = owner_client.post(URL, {"uuids": f"{A}\nnot-a-uuid\n{B}", "label": "batch 1"}, headers=HTMX)

    assert response.status_code == 200
    assert watched(owner) == sorted([A, B])
    assert set(Watch.objects.filter(user=owner).values_list("label", flat=True)) == {"batch 1"}
    text = text_of(response)
    assert "Added 2 executions" in text
    assert "Line 2: not-a-uuid is not a valid UUID" in text
    # The bad line stays in the box, ready to be corrected; the added ones are gone from it.
    assert ">not-a-uuid</textarea>" in response.content.decode()
    assert "watches-changed" in json.loads(response["HX-Trigger"])


def test_new_watches_are_polled_at_once_through_the_real_broker(
    owner_client, owner, redis_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        owner_client.post(URL, {"uuids": f"{A} {B}"}, headers=HTMX)

    assert len(callbacks) == 1
    ids = sorted(Execution.objects.filter(uuid__in=[A, B]).values_list("pk", flat=True))
    tasks = queued_tasks(redis_client)
    assert [(name, sorted(args[0])) for name, args in tasks] == [("executions.tasks.poll_now", ids)]


def test_duplicates_and_already_watched_are_reported_not_dropped(owner_client, owner, redis_client):
    watch(owner, uuid=uuid.UUID(C))

    response = owner_client.post(URL, {"uuids": f"{A}\n{A}\n{C}, {B}"}, headers=HTMX)

    text = text_of(response)
    assert watched(owner) == sorted([A, B, C])
    assert "Added 2 executions" in text
    assert f"Already watched (1), so not added again: {C}" in text
    assert f"Line 2: {A} repeats line 1" in text


def test_all_already_watched_adds_nothing_and_says_so(owner_client, owner, redis_client):
    watch(owner, uuid=uuid.UUID(A))

    response = owner_client.post(URL, {"uuids": A}, headers=HTMX)

    assert "Already watched (1)" in text_of(response)
    assert "HX-Trigger" not in response
    assert Watch.objects.filter(user=owner).count() == 1


def test_a_paste_over_the_limit_gets_a_clear_message_and_is_kept(owner_client, owner, settings):
    settings.WATCH_PASTE_LIMIT = 3
    paste = "\n".join(str(uuid.uuid4()) for _ in range(4))

    response = owner_client.post(URL, {"uuids": paste}, headers=HTMX)

    assert response.status_code == 200
    assert "That paste holds 4 UUIDs on 4 lines; at most 3 can be added at once." in text_of(response)
    assert paste in response.content.decode()
    assert Watch.objects.count() == 0


def test_a_paste_over_the_limit_is_counted_as_the_person_pasted_it(owner_client, settings):
    # 2,000 lines from a spreadsheet: a UUID each, some with a status beside it. Counted
    # in words this was "2,885 items"; the person pasted 2,000 UUIDs on 2,000 lines.
    settings.WATCH_PASTE_LIMIT = 1000
    paste = "\n".join(f"{uuid.uuid4()}" + ("\tfailed" if i % 9 < 4 else "") for i in range(2000))
    response = owner_client.post(URL, {"uuids": paste}, headers=HTMX)
    assert "That paste holds 2,000 UUIDs on 2,000 lines; at most 1,000 can be added at once." in text_of(response)
    assert "items" not in text_of(response)


def test_plannr_links_are_pasted_as_the_uuid_in_them(owner_client, owner):
    first, second = uuid.uuid4(), uuid.uuid4()
    blueprint = uuid.uuid4()
    paste = (
        f"https://app.plannrcrm.com/automations/{blueprint}/executions/{first}\n"
        f"<https://app.plannrcrm.com/automation-executions/{str(second).upper()}?tab=steps>"
    )
    response = owner_client.post(URL, {"uuids": paste}, headers=HTMX)
    assert response.status_code == 200
    assert set(Watch.objects.filter(user=owner).values_list("execution__uuid", flat=True)) == {first, second}


def test_an_empty_paste_asks_for_a_uuid(owner_client):
    response = owner_client.post(URL, {"uuids": " \n , "}, headers=HTMX)
    assert "Paste at least one execution UUID." in text_of(response)
    assert Watch.objects.count() == 0


def test_a_paste_of_only_junk_adds_nothing_and_lists_every_line(owner_client, owner):
    response = owner_client.post(URL, {"uuids": "foo\nbar baz"}, headers=HTMX)
    text = text_of(response)
    assert "Nothing was added." in text
    assert "Line 1: foo" in text and "Line 2: bar" in text and "Line 2: baz" in text
    assert Watch.objects.count() == 0


def test_a_too_long_label_is_refused_and_nothing_is_added(owner_client, owner):
    response = owner_client.post(URL, {"uuids": A, "label": "x" * 201}, headers=HTMX)
    assert "at most 200 characters" in text_of(response)
    assert Watch.objects.count() == 0


def test_without_htmx_a_clean_paste_redirects_with_a_message(owner_client, owner, redis_client):
    response = owner_client.post(URL, {"uuids": A}, follow=True)
    assert response.redirect_chain == [(reverse("executions:watchlist"), 302)]
    assert "Now watching 1 more execution(s)." in text_of(response)


def test_without_htmx_problems_are_shown_on_the_full_page(owner_client, owner, redis_client):
    response = owner_client.post(URL, {"uuids": f"{A}\nzzz"})
    assert response.status_code == 200
    assert "Line 2: zzz is not a valid UUID" in text_of(response)
    assert 'id="watchlist-live"' in response.content.decode()
    assert watched(owner) == [A]


def test_adding_requires_post(owner_client):
    assert owner_client.get(URL).status_code == 405
