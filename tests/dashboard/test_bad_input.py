"""Bad input that used to answer 500: each is a 400 (pages) or 422 (API) that says what was wrong.

Unicode digits pass str.isdigit() but not int() into a query; a UTC offset of 16:00 or
more is a valid Python datetime that PostgreSQL refuses to store or compare with.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.models import Kind
from executions.models import Watch
from incidents.models import Incident
from monitors.models import Monitor
from tests.api.conftest import bearer
from tests.channels.builders import make_channel
from tests.incidents.test_grouping import failing
from tests.monitors.builders import everything

pytestmark = pytest.mark.django_db

UNICODE_DIGITS = ["²", "٣", "１", "߁"]
FAR_OFFSETS = ["+16:00", "-16:00", "+23:59"]


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_unicode_digits_in_the_incident_filter_are_a_400(admin):
    client = _client(admin)
    for digit in UNICODE_DIGITS:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(reverse("incidents:list"), {"monitor": digit}, headers=headers)
            assert response.status_code == 400, digit
            assert "Choose the monitor from the list" in response.content.decode()
    monitor = everything(admin, name="Everything")
    assert client.get(reverse("incidents:list"), {"monitor": str(monitor.pk)}).status_code == 200


def test_unicode_digits_in_a_bulk_action_are_a_400_and_change_nothing(admin):
    Watch.objects.create(user=admin, execution=failing())
    incident = Incident.objects.get()
    client = _client(admin)
    for digit in UNICODE_DIGITS:
        response = client.post(reverse("incidents:bulk"), {"action": "resolve", "incident": [str(incident.pk), digit]})
        assert response.status_code == 400, digit
        assert "Choose incidents from the list" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "open"


def test_unicode_digits_in_the_channel_monitor_form_are_a_400(admin):
    channel = make_channel(admin, Kind.WEBHOOK, "https://hooks.example.com/in", organisation=True)
    monitor = everything(admin, name="Everything")
    client = _client(admin)
    url = reverse("channels:monitors", args=[channel.pk])
    for digit in UNICODE_DIGITS:
        response = client.post(url, {"monitor": [str(monitor.pk), digit]})
        assert response.status_code == 400, digit
        assert "Choose monitors from the list" in response.content.decode()
    assert list(channel.monitors.all()) == []
    assert client.post(url, {"monitor": [str(monitor.pk)]}).status_code == 302
    assert list(channel.monitors.all()) == [monitor]


def test_a_mute_next_that_is_not_a_path_is_a_400(owner):
    Watch.objects.create(user=owner, execution=failing())
    watch = Watch.objects.get(user=owner)
    response = _client(owner).post(reverse("alerts:mute", args=[watch.pk]), {"muted": "1", "next": "overview"})
    assert response.status_code == 400
    assert "must be a path on this site" in response.content.decode()
    watch.refresh_from_db()
    assert not watch.muted


def _far(offset, days=1):
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S") + offset


def test_a_pause_until_with_a_far_utc_offset_is_a_400_on_the_page(admin):
    monitor = everything(admin, name="Everything")
    client = _client(admin)
    url = reverse("monitors:pause", args=[monitor.pk])
    for offset in FAR_OFFSETS:
        response = client.post(url, {"until": _far(offset)})
        assert response.status_code == 400, offset
        assert "UTC offset between -15:59 and +15:59" in response.content.decode()
        htmx = client.post(url, {"until": _far(offset)}, headers={"HX-Request": "true"})
        assert "UTC offset between -15:59 and +15:59" in htmx.content.decode()
    assert not Monitor.objects.get().paused
    assert client.post(url, {"until": _far("+15:30")}).status_code == 302
    assert Monitor.objects.get().paused_until is not None


def test_a_pause_until_with_a_far_utc_offset_is_refused_by_the_api(client, admin):
    monitor = everything(admin, name="Everything")
    headers = bearer(admin)
    url = f"/api/v1/monitors/{monitor.pk}/pause"
    for offset in FAR_OFFSETS:
        response = client.post(url, {"until": _far(offset)}, content_type="application/json", **headers)
        assert response.status_code == 422, (offset, response.content)
        body = response.json()
        assert body["code"] == "invalid_request" and "UTC offset between -15:59 and +15:59" in body["message"]
    assert not Monitor.objects.get().paused


def test_updated_since_with_a_far_utc_offset_is_refused_by_the_api(client, owner):
    Watch.objects.create(user=owner, execution=failing())
    headers = bearer(owner)
    for offset in FAR_OFFSETS:
        response = client.get("/api/v1/executions", {"updated_since": _far(offset, days=-1)}, **headers)
        assert response.status_code == 422, (offset, response.content)
        assert "UTC offset between -15:59 and +15:59" in response.json()["message"]
    assert client.get("/api/v1/executions", {"updated_since": _far("+15:59", days=-1)}, **headers).status_code == 200
