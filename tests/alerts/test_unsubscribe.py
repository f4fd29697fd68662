"""One-click unsubscribe (RFC 8058): the token in the link is the only credential."""

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import AlertPreference
from alerts.preferences import get_preference

pytestmark = pytest.mark.django_db


@pytest.fixture
def preference(owner):
    return get_preference(owner)


def url(token):
    return reverse("alerts:unsubscribe", args=[token])


def test_get_only_asks_for_confirmation(preference):
    response = Client().get(url(preference.unsubscribe_token))
    assert response.status_code == 200
    assert b"Turn alerts off" in response.content and b"owner@example.com" in response.content
    assert AlertPreference.objects.get(pk=preference.pk).enabled


def test_the_one_click_post_turns_alerts_off_without_a_session_or_csrf_token(preference):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url(preference.unsubscribe_token),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and b"Alerts turned off" in response.content
    assert not AlertPreference.objects.get(pk=preference.pk).enabled


def test_an_unknown_token_changes_nothing(preference):
    response = Client(enforce_csrf_checks=True).post(url("not-the-token"))
    assert response.status_code == 404 and b"not valid" in response.content
    assert AlertPreference.objects.get(pk=preference.pk).enabled


def test_each_user_has_their_own_token(preference, other_user):
    theirs = get_preference(other_user)
    assert theirs.unsubscribe_token != preference.unsubscribe_token
    Client().post(url(theirs.unsubscribe_token))
    assert AlertPreference.objects.get(pk=preference.pk).enabled
    assert not AlertPreference.objects.get(pk=theirs.pk).enabled
