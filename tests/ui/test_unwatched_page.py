"""An execution page you no longer watch: its last known state, or a page that says why not."""

import uuid

import pytest
from django.urls import reverse

from executions.models import Watch
from tests.builders import add_step, recorded_delivery, watch
from tests.dashboard.helpers import HTMX, text_of

pytestmark = pytest.mark.django_db


def detail(uuid_):
    return reverse("executions:detail", args=[uuid_])


def test_after_unwatching_the_page_shows_the_last_known_state_and_watch_again(owner_client, owner):
    w = watch(owner, name="Send client welcome pack", status="failed", is_failing=True, label="vip")
    add_step(w.execution, "Send SMS", "failed", position=0, messages=["the account_uuid field is required"],
             failure_kind="failed")
    owner_client.post(reverse("executions:unwatch", args=[w.execution.uuid]))

    page = owner_client.get(detail(w.execution.uuid))
    assert page.status_code == 200
    text = text_of(page)
    assert "You no longer watch this execution" in text
    assert "Send client welcome pack" in text and "the account_uuid field is required" in text
    html = page.content.decode()
    assert 'id="watch-again"' in html
    # Nothing polls it: no refresh, no poll/label/unwatch controls.
    assert "execution-poller" not in html and 'id="poll-now"' not in html and 'id="unwatch"' not in html

    again = owner_client.post(reverse("executions:watch", args=[w.execution.uuid]), follow=True)
    assert Watch.objects.filter(user=owner, execution=w.execution).exists()
    assert 'id="poll-now"' in again.content.decode()


def test_an_alert_recipient_who_does_not_watch_it_sees_it(client, owner):
    delivery = recorded_delivery(owner)
    [execution] = [o.execution for o in delivery.alert.incident.occurrence_rows.all()]
    Watch.objects.filter(user=owner).delete()
    client.force_login(owner)
    page = client.get(detail(execution.uuid))
    assert page.status_code == 200 and "You no longer watch this execution" in text_of(page)


def test_a_stranger_gets_a_friendly_404_that_gives_nothing_away(client, other_user, owner):
    existing = watch(owner, name="Secret client onboarding", account_name="Jane Secret").execution.uuid
    client.force_login(other_user)
    texts = []
    for uuid_ in (existing, uuid.uuid4()):
        page = client.get(detail(uuid_))
        assert page.status_code == 404
        text = text_of(page)
        assert "Nothing to see here" in text and "is not on your watchlist" in text
        assert "Secret" not in text
        texts.append(text.replace(str(uuid_), "UUID"))
        # The live region stays closed to them.
        assert client.get(reverse("executions:live", args=[uuid_]), headers=HTMX).status_code == 404
    # The same words whether or not it exists.
    assert texts[0] == texts[1]
