"""Each user's time zone (default Europe/London) is used, and named, for every time on pages and in emails."""

from datetime import datetime, timezone as dt_timezone

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.profiles import time_zone_of
from tests.accounts.flows import sign_in
from tests.accounts.helpers import user_in_role

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 7, 1, 12, 0, tzinfo=dt_timezone.utc)


def _abstime():
    return Template("{% load execution_tags %}{% abstime when %}").render(Context({"when": WHEN}))


def test_the_default_zone_is_london_and_it_is_named():
    user = user_in_role("ada", roles.VIEWER)
    assert str(time_zone_of(user)) == "Europe/London"
    with timezone.override(time_zone_of(user)):
        assert "01 Jul 2026, 13:00:00 BST" in _abstime()


def test_a_chosen_zone_applies_to_the_pages(client):
    from tests.builders import watch

    user = user_in_role("ada", roles.VIEWER)
    w = watch(user)
    sign_in(client, "ada")
    detail = reverse("executions:detail", kwargs={"uuid": w.execution.uuid})
    assert "BST" in client.get(detail).content.decode() or "GMT" in client.get(detail).content.decode()
    client.post(reverse("accounts:profile"), {"time_zone": "Asia/Tokyo"})
    html = client.get(detail).content.decode()
    assert "JST" in html and "Asia/Tokyo" in html and "BST" not in html and "GMT" not in html


def test_an_unknown_zone_is_refused_with_a_message(client):
    user = user_in_role("ada", roles.VIEWER)
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400 and "Mars/Olympus" in response.content.decode()
    assert str(time_zone_of(user)) == "Europe/London"


def test_alert_emails_show_times_in_the_users_zone(owner, other_user):
    from alerts.emails import incident_notification
    from alerts.preferences import get_preference
    from tests.builders import recorded_delivery

    owner.profile.time_zone = "America/New_York"
    owner.profile.save()
    mine, theirs = recorded_delivery(owner), recorded_delivery(other_user)
    text = incident_notification(mine, get_preference(owner)).text
    london = incident_notification(theirs, get_preference(other_user)).text
    assert " EDT" in text or " EST" in text
    assert " GMT" in london or " BST" in london
