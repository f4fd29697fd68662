"""Each sender against a real HTTP receiver: status handling, signing, timeouts, the network guard."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from channels import network, senders, services
from channels.models import Kind

from .builders import incident_notification, make_channel

pytestmark = pytest.mark.django_db


def test_webhook_is_signed_and_verifies_with_nothing_but_the_secret(owner, webhook_receiver):
    channel, secret = services.create_channel(owner, Kind.WEBHOOK, "hook", webhook_receiver.url())
    assert secret.startswith("whsec_")
    result = senders.send(channel, incident_notification(), "msg_abc")
    assert result.ok and result.status_code == 200
    [request] = webhook_receiver.requests()
    assert request.headers["webhook-id"] == "msg_abc"
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["incident"]["title"] == "Send SMS: the account_uuid field is required"

    # A tampered body fails.
    tampered = request.body.replace(b"212", b"213")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request.headers)
    # Another channel's secret fails.
    other = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    with pytest.raises(WebhookVerificationError):
        Webhook(other.signing_secret).verify(request.body, request.headers)


def test_an_old_timestamp_fails_verification(owner, webhook_receiver):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    wh = Webhook(channel.signing_secret)
    body = b'{"schema_version":1}'
    old = datetime.now(UTC) - timedelta(minutes=10)
    headers = {"webhook-id": "msg_old", "webhook-timestamp": str(int(old.timestamp())),
               "webhook-signature": wh.sign("msg_old", old, body.decode())}
    with pytest.raises(WebhookVerificationError, match="too old"):
        wh.verify(body, headers)
    fresh = datetime.now(UTC)
    headers.update({"webhook-timestamp": str(int(fresh.timestamp())),
                    "webhook-signature": wh.sign("msg_old", fresh, body.decode())})
    assert wh.verify(body, headers) == {"schema_version": 1}


def test_teams_succeeds_on_202_and_explains_a_200(owner, webhook_receiver):
    channel = make_channel(owner, Kind.TEAMS, webhook_receiver.url("/workflows"))
    webhook_receiver.ok(202)
    result = senders.send(channel, incident_notification(), "k1")
    assert (result.ok, result.status_code) == (True, 202)
    assert webhook_receiver.requests()[0].json()["attachments"][0]["content"]["type"] == "AdaptiveCard"

    webhook_receiver.ok(200)  # what a retired Office 365 connector answers
    result = senders.send(channel, incident_notification(), "k2")
    assert not result.ok and not result.retryable and result.status_code == 200
    assert "retired Office 365 connector" in result.error


def test_slack_posts_block_kit(owner, webhook_receiver):
    channel = make_channel(owner, Kind.SLACK, webhook_receiver.url("/services/T1/B2/abc"))
    assert senders.send(channel, incident_notification(), "k").ok
    assert webhook_receiver.requests()[0].json()["blocks"][0]["type"] == "header"


@pytest.mark.parametrize("status, retryable", [(500, True), (503, True), (429, True), (404, False), (400, False)])
def test_error_statuses_say_whether_to_retry(owner, webhook_receiver, status, retryable):
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.error(status)
    result = senders.send(channel, incident_notification(), "k")
    assert (result.ok, result.status_code, result.retryable) == (False, status, retryable)
    assert f"answered {status}" in result.error


def test_a_hanging_receiver_hits_the_read_timeout(owner, webhook_receiver, settings):
    settings.CHANNEL_READ_TIMEOUT = 0.5
    channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url())
    webhook_receiver.hang()
    result = senders.send(channel, incident_notification(), "k")
    assert not result.ok and result.retryable and result.status_code is None
    assert "read timeout" in result.error


def test_a_refused_connection_is_retryable(owner, settings):
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = make_channel(owner, Kind.SLACK, f"https://127.0.0.1:{port}/services/x")
    result = senders.send(channel, incident_notification(), "k")
    assert not result.ok and result.retryable


def test_payloads_over_the_cap_are_refused_without_a_request(owner, webhook_receiver, settings):
    settings.CHANNEL_MAX_PAYLOAD_BYTES = 1024
    channel = make_channel(owner, Kind.TEAMS, webhook_receiver.url())
    result = senders.send(channel, incident_notification(), "k")
    assert not result.ok and not result.retryable and "byte cap" in result.error
    assert webhook_receiver.requests() == []


# --- the network guard ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:{port}/hook",  # a hostname that resolves to 127.0.0.1
        "http://127.0.0.1:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
    ],
)
def test_private_targets_are_refused_at_send_time(owner, webhook_receiver, settings, url):
    channel = make_channel(owner, Kind.WEBHOOK, url.format(port=webhook_receiver.port))
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    result = senders.send(channel, incident_notification(), "k")
    assert not result.ok and not result.retryable
    assert "Refused" in result.error and "ALLOW_PRIVATE_WEBHOOK_TARGETS" in result.error
    assert webhook_receiver.requests() == []


def test_allow_private_targets_lifts_the_refusal_for_localhost(owner, webhook_receiver, settings):
    channel = make_channel(owner, Kind.WEBHOOK, f"http://localhost:{webhook_receiver.port}/hook")
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True
    assert senders.send(channel, incident_notification(), "k").ok


def test_the_connection_goes_to_the_checked_address_with_the_original_host(owner, webhook_receiver, monkeypatch,
                                                                           settings):
    """DNS rebinding: a second lookup that would answer differently is never made."""
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "127.0.0.1":  # the test's own connection to the receiver
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        # The guard's lookup sees a public address; any later lookup would see loopback.
        address = "93.184.215.14" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    connected = []

    def fake_create_connection(address, *args, **kwargs):
        connected.append(address)
        return socket.create_connection(("127.0.0.1", webhook_receiver.port), timeout=5)

    channel = make_channel(owner, Kind.WEBHOOK, "http://hooks.example.com:8080/in")  # saved before the lookups counted
    monkeypatch.setattr(network.socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(network.urllib3_connection, "create_connection", fake_create_connection)
    assert senders.send(channel, incident_notification(), "k").ok
    assert lookups == ["hooks.example.com"]  # one lookup: the checked one
    assert connected == [("93.184.215.14", 8080)]  # to the checked address
    assert webhook_receiver.requests()[0].headers["host"] == "hooks.example.com:8080"


def test_is_public():
    assert network.is_public("93.184.215.14")
    for address in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                    "0.0.0.0", "::1", "fd00:ec2::254", "fe80::1", "::ffff:10.0.0.1", "224.0.0.1"):
        assert not network.is_public(address), address


def test_apprise_posts_through_its_own_plugin_and_is_guarded(owner, webhook_receiver, settings):
    channel = make_channel(owner, Kind.APPRISE, f"json://127.0.0.1:{webhook_receiver.port}/apprise")
    result = senders.send(channel, incident_notification(), "k")
    assert result.ok, result.error
    [request] = webhook_receiver.requests("/apprise")
    assert request.json()["title"].startswith("[Plannr] New incident")
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    result = senders.send(channel, incident_notification(), "k")
    assert not result.ok and "Refused" in result.error
    assert len(webhook_receiver.requests()) == 1


@pytest.mark.parametrize("kind, path", [(Kind.APPRISE, "/apprise"), (Kind.WEBHOOK, "/hook")])
def test_no_channel_kind_follows_a_redirect(owner, webhook_receiver, kind, path):
    """A public redirector could point inward: the next hop is never requested."""
    from tests.fixtures.receiver import Receiver

    inner = Receiver().start()
    try:
        webhook_receiver.redirect(inner.url("/internal"))
        scheme = "json" if kind == Kind.APPRISE else "http"
        channel = make_channel(owner, kind, f"{scheme}://127.0.0.1:{webhook_receiver.port}{path}")
        result = senders.send(channel, incident_notification(), "k")
        assert not result.ok and not result.retryable, result
        assert len(webhook_receiver.requests(path)) == 1
        assert inner.requests() == []
    finally:
        inner.stop()


def test_a_refusal_names_no_resolved_address(owner, settings, monkeypatch):
    """Operators read the error on the channel page: internal DNS stays internal."""
    # Saved while the name still resolved elsewhere (the save-time check passed); it points
    # inward by the time of the send.
    channels = [make_channel(owner, kind, url) for kind, url in
                ((Kind.WEBHOOK, "https://internal.example/hook"), (Kind.APPRISE, "json://internal.example/x"))]
    monkeypatch.setattr(network.socket, "getaddrinfo",
                        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", port))])
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    for channel in channels:
        result = senders.send(channel, incident_notification(), "k")
        assert not result.ok and "a private address" in result.error, result.error
        assert "10.20.30.40" not in result.error
