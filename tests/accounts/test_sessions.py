"""Sessions end after SESSION_IDLE_HOURS without activity; timed refreshes are not activity."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts import roles
from accounts.middleware import LAST_SEEN_KEY
from tests.accounts.flows import sign_in
from tests.accounts.helpers import user_in_role
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _age_last_seen(client, seconds):
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_the_idle_timeout_is_the_setting(client, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    assert client.session.get_expiry_age() == 8 * 3600


def test_activity_extends_the_session_but_timed_refreshes_do_not(client):
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    _age_last_seen(client, 120)
    before = _expiry(client)

    client.get(reverse("executions:watchlist_rows"), {"known": "x"}, headers=HTMX)
    assert _expiry(client) == before  # a refresh every few seconds keeps nobody signed in

    client.get(reverse("executions:watchlist"))
    assert _expiry(client) > before


def test_an_expired_session_is_signed_out(client, settings):
    from django.utils import timezone

    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert client.get(reverse("executions:watchlist")).status_code == 302
