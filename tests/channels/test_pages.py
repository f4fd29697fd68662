"""Channel pages: who may see and do what, CSRF, the secret shown once, masking, Teams confirmation."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import roles
from channels.models import Channel, Kind, DeliveryState, Delivery

from .builders import SLACK_SECRET_PATH, make_channel

pytestmark = pytest.mark.django_db

SLACK_URL = f"https://hooks.slack.com{SLACK_SECRET_PATH}"


def add(client, **data):
    return client.post(reverse("channels:add"), {"name": "Ops", **data})


def test_adding_a_webhook_shows_the_secret_once_and_never_again(owner_client, owner):
    response = add(owner_client, kind="webhook", target="https://receiver.example.com/in/abc123secret")
    channel = Channel.objects.get()
    created_url = reverse("channels:created", args=[channel.pk])
    assert response.status_code == 302 and response["Location"] == created_url
    secret = channel.signing_secret
    assert secret not in str(dict(owner_client.session))  # handed over encrypted
    shown = owner_client.get(created_url)
    assert secret in shown.content.decode() and "no-store" in shown["Cache-Control"]
    again = owner_client.get(created_url, follow=True).content.decode()  # a reload
    assert secret not in again and "shown once" in again
    assert Channel.objects.count() == 1
    for url in (reverse("channels:detail", args=[channel.pk]), reverse("channels:list")):
        page = owner_client.get(url).content.decode()
        assert secret not in page and "abc123secret" not in page
        assert "https://receiver.example.com/…" in page


def test_a_slack_channel_redirects_to_its_page_with_the_target_masked(owner_client):
    response = add(owner_client, kind="slack", target=SLACK_URL)
    channel = Channel.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("channels:detail", args=[channel.pk])
    page = owner_client.get(response["Location"]).content.decode()
    assert "XyZsecretSlackToken123" not in page and "hooks.slack.com/…" in page


def test_a_bad_target_is_refused_with_a_message_and_not_echoed(owner_client):
    response = add(owner_client, kind="teams", target="http://not-https.example.com/secret-path-xyz")
    page = response.content.decode()
    assert response.status_code == 200 and "Enter a full https URL." in page
    assert "secret-path-xyz" not in page
    assert Channel.objects.count() == 0


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:8080/in/secret-path-xyz", "http://localhost/in/secret-path-xyz",
               "https://10.1.2.3/in/secret-path-xyz", "http://[::1]/in/secret-path-xyz"],
)
def test_a_private_target_is_refused_when_saved_with_the_guards_reason(owner_client, settings, target):
    from html import escape

    from channels import network

    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    with pytest.raises(network.Refused) as refused:  # what a send would say
        network.check_url(target)
    response = add(owner_client, kind="webhook", target=target)
    page = response.content.decode()
    assert response.status_code == 200 and escape(str(refused.value)) in page
    assert "private" in str(refused.value)
    assert "secret-path-xyz" not in page
    assert Channel.objects.count() == 0
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True  # internal receivers allowed: saved
    assert add(owner_client, kind="webhook", target=target).status_code == 302


def test_a_private_apprise_target_is_refused_when_saved(admin, client, settings):
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    client.force_login(admin)
    page = add(client, kind="apprise", target="json://localhost:8080/secret-path-xyz").content.decode()
    assert "private" in page and "secret-path-xyz" not in page
    assert Channel.objects.count() == 0


def test_the_state_follows_the_last_delivery(owner_client, owner, webhook_receiver):
    from channels.delivery import deliver

    from .builders import incident_notification

    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    detail, log = reverse("channels:detail", args=[channel.pk]), reverse("channels:log", args=[channel.pk])

    def state(page):  # the detail page's "State" fact, or the refresh's replacement for it
        found = re.search(r'<dd id="channel-state"[^>]*>\s*<span[^>]*>([^<]+)<', page)
        return (found or re.search(r"<dt>State</dt><dd>\s*<span[^>]*>([^<]+)<", page)).group(1)

    assert state(owner_client.get(detail).content.decode()) == "Working"
    webhook_receiver.error(500)
    deliver(channel, incident_notification(), "alert_1_channel_1")  # one failed alert, hours from "broken"
    assert state(owner_client.get(detail).content.decode()) == "Failing"
    assert "Failing" in owner_client.get(reverse("channels:list")).content.decode()
    # The log's refresh carries the new state to the page already open.
    refreshed = owner_client.get(log, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-swap-oob="true"' in refreshed and state(refreshed) == "Failing"
    webhook_receiver.ok()
    deliver(channel, incident_notification(), "alert_1_channel_1")
    assert state(owner_client.get(detail).content.decode()) == "Working"


def test_apprise_is_for_staff_only(owner_client, owner):
    assert "?kind=apprise" not in owner_client.get(reverse("channels:add")).content.decode()
    form = owner_client.get(reverse("channels:add"), {"kind": "apprise"}).content.decode()
    assert 'id="channel-form"' not in form  # back to choosing a kind
    add(owner_client, kind="apprise", target="json://example.com/path")
    assert Channel.objects.count() == 0
    roles.assign_role(owner, roles.ADMIN)  # Admins are staff
    assert owner.is_staff
    assert "?kind=apprise" in owner_client.get(reverse("channels:add")).content.decode()
    add(owner_client, kind="apprise", target="json://example.com/path")
    assert Channel.objects.get().kind == Kind.APPRISE


def test_each_kind_has_its_own_form(owner_client):
    teams = owner_client.get(reverse("channels:add"), {"kind": "teams"}).content.decode()
    assert "Add a Microsoft Teams channel" in teams and "Workflows webhook URL" in teams
    assert 'type="password"' in teams and 'name="kind" value="teams"' in teams
    email = owner_client.get(reverse("channels:add"), {"kind": "email"}).content.decode()
    assert "Email address" in email and 'type="email"' in email


def test_organisation_channels_are_for_admins(owner_client, owner, admin, other_user, client):
    email_form = {"kind": "email"}
    assert 'name="organisation"' not in owner_client.get(reverse("channels:add"), email_form).content.decode()
    add(owner_client, kind="email", target="ops@example.com", organisation="on")
    assert Channel.objects.get().owner == owner  # an Operator: the checkbox is not offered, nor honoured
    client.force_login(admin)
    assert 'name="organisation"' in client.get(reverse("channels:add"), email_form).content.decode()
    add(client, kind="email", target="team@example.com", organisation="on")
    org = Channel.objects.get(owner__isnull=True)
    assert client.get(reverse("channels:detail", args=[org.pk])).status_code == 200
    client.force_login(other_user)
    assert client.get(reverse("channels:detail", args=[org.pk])).status_code == 404
    roles.assign_role(other_user, roles.ADMIN)
    client.force_login(other_user)
    assert client.get(reverse("channels:detail", args=[org.pk])).status_code == 200


def test_viewers_may_not_use_the_channel_pages(client, outsider):
    channel = make_channel(outsider, Kind.TEAMS, "https://example.com/workflows/x")  # made while an Operator
    client.force_login(outsider)
    assert client.get(reverse("channels:list")).status_code == 403
    assert add(client, kind="email", target="b@example.com").status_code == 403
    for name in ("channels:detail", "channels:created", "channels:log"):
        assert client.get(reverse(name, args=[channel.pk])).status_code == 403, name
    for name in ("channels:test", "channels:confirm", "channels:delete"):
        assert client.post(reverse(name, args=[channel.pk]), {"arrived": "yes"}).status_code == 403, name
    assert list(Channel.objects.values_list("pk", "confirmed_at")) == [(channel.pk, None)]
    assert not Delivery.objects.exists()
    assert reverse("channels:list") not in client.get(reverse("executions:watchlist")).content.decode()  # no nav link


@pytest.mark.parametrize("name, method", [
    ("channels:detail", "get"), ("channels:created", "get"), ("channels:log", "get"), ("channels:test", "post"),
    ("channels:confirm", "post"), ("channels:delete", "post"),
])
def test_other_users_get_404(client, owner, other_user, name, method):
    channel = make_channel(owner, Kind.TEAMS, "https://example.com/workflows/x")
    client.force_login(other_user)
    assert getattr(client, method)(reverse(name, args=[channel.pk])).status_code == 404
    assert Channel.objects.filter(pk=channel.pk).exists() and not Delivery.objects.exists()


def test_anonymous_users_are_sent_to_login(client, owner):
    channel = make_channel(owner, Kind.EMAIL, "a@example.com")
    response = client.get(reverse("channels:detail", args=[channel.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_posts_need_a_csrf_token(owner):
    channel = make_channel(owner, Kind.EMAIL, "a@example.com")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("channels:test", args=[channel.pk])).status_code == 403
    assert client.post(reverse("channels:add"), {"kind": "email", "name": "x", "target": "b@example.com"}).status_code == 403
    page = client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(reverse("channels:test", args=[channel.pk]), {"csrfmiddlewaretoken": token},
                       HTTP_HX_REQUEST="true").status_code == 200


def test_send_test_message_records_a_row_and_shows_its_state(owner_client, owner, django_capture_on_commit_callbacks,
                                                              monkeypatch):
    queued = []
    monkeypatch.setattr("channels.views.enqueue_deliveries", lambda ids, countdown=None: queued.extend(ids))
    channel = make_channel(owner, Kind.EMAIL, "a@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("channels:test", args=[channel.pk]), HTTP_HX_REQUEST="true")
    message = Delivery.objects.get()
    assert queued == [message.pk]
    assert "Sending the test message" in response.content.decode()
    Delivery.objects.filter(pk=message.pk).update(state=DeliveryState.FAILED, last_error="The receiver answered 500")
    status = owner_client.get(reverse("channels:test_status", args=[channel.pk, message.pk]))
    assert "Test message failed: The receiver answered 500" in status.content.decode()
    assert "data-live-refresh" not in status.content.decode()  # final: the polling stops


def test_teams_asks_whether_the_test_arrived(owner_client, owner):
    channel = make_channel(owner, Kind.TEAMS, "https://example.com/workflows/x")
    page = owner_client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert "Did the test message arrive in Teams?" in page and "Not confirmed" in page
    response = owner_client.post(reverse("channels:confirm", args=[channel.pk]), {"arrived": "no"}, follow=True)
    assert "retired Office 365" in response.content.decode()
    assert Channel.objects.get(pk=channel.pk).confirmed_at is None
    owner_client.post(reverse("channels:confirm", args=[channel.pk]), {"arrived": "yes"})
    page = owner_client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert "You confirmed on" in page and "Not confirmed" not in page


def test_a_broken_channel_says_so(owner_client, owner):
    channel = make_channel(owner, Kind.EMAIL, "a@example.com")
    assert 'id="broken-banner"' not in owner_client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    Channel.objects.filter(pk=channel.pk).update(state="broken", failing_since="2026-12-01T09:00:00Z")
    page = owner_client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert 'id="broken-banner"' in page and "This channel is broken" in page
    assert "Broken" in owner_client.get(reverse("channels:list")).content.decode()


def test_the_log_refresh_answers_204_when_nothing_changed(owner_client, owner):
    channel = make_channel(owner, Kind.EMAIL, "a@example.com")
    page = owner_client.get(reverse("channels:log", args=[channel.pk])).content.decode()
    known = re.search(r'"known": "([0-9a-f]+)"', page).group(1)
    url = reverse("channels:log", args=[channel.pk])
    assert owner_client.get(url, {"known": known}, HTTP_HX_REQUEST="true").status_code == 204
    channel.attempts.create(notification_kind="test", idempotency_key="k", ok=True, status_code=200)
    assert owner_client.get(url, {"known": known}, HTTP_HX_REQUEST="true").status_code == 200


def test_delete(owner_client, owner):
    channel = make_channel(owner, Kind.EMAIL, "a@example.com")
    assert owner_client.post(reverse("channels:delete", args=[channel.pk])).status_code == 302
    assert not Channel.objects.exists()


def test_a_refused_target_shows_no_internal_address_on_the_channel_page(owner_client, owner, settings, monkeypatch):
    """What an Operator reads after a refused send: the reason, never what the name resolved to."""
    import socket

    from channels import delivery, network

    from .builders import incident_notification

    channel = make_channel(owner, Kind.WEBHOOK, "https://internal.example/hook")  # saved before it pointed inward
    monkeypatch.setattr(network.socket, "getaddrinfo",
                        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.8.7", port))])
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    delivery.deliver(channel, incident_notification(), "k")
    page = owner_client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    log = owner_client.get(reverse("channels:log", args=[channel.pk])).content.decode()
    assert "points to a private address" in page + log
    assert "10.9.8.7" not in page + log
