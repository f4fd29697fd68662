"""`manage.py channel`: the output format is a contract for ops tooling."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from standardwebhooks.webhooks import Webhook

from channels.models import Channel, Kind, DeliveryState, Delivery

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args):
    out = io.StringIO()
    call_command("channel", *args, stdout=out)
    return out.getvalue()


def test_add_webhook_prints_the_id_and_the_secret_each_on_its_own_line(owner):
    output = run("add", "--user", "owner", "--kind", "webhook", "--url", "https://example.com/in")
    match = re.fullmatch(r"channel (\d+)\nsecret (whsec_\S+)\n", output)
    assert match, output
    channel = Channel.objects.get(pk=int(match.group(1)))
    assert channel.owner == owner and channel.kind == Kind.WEBHOOK
    assert channel.signing_secret == match.group(2)


@pytest.mark.parametrize("kind, url", [("email", "ops@example.com"), ("slack", "https://hooks.slack.com/services/a/b/c"),
                                       ("teams", "https://example.com/workflows/x"), ("apprise", "json://example.com")])
def test_add_other_kinds_prints_only_the_id(owner, kind, url):
    output = run("add", "--user", "owner", "--kind", kind, "--url", url)
    assert re.fullmatch(r"channel \d+\n", output), output


def test_bad_input_is_a_clear_error(owner):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("add", "--user", "nobody", "--kind", "email", "--url", "a@example.com")
    with pytest.raises(CommandError, match="valid email"):
        run("add", "--user", "owner", "--kind", "email", "--url", "not-an-address")
    assert not Channel.objects.exists()


def test_test_sends_a_signed_test_message(owner, webhook_receiver):
    output = run("add", "--user", "owner", "--kind", "webhook", "--url", webhook_receiver.url())
    channel_id, secret = re.fullmatch(r"channel (\d+)\nsecret (\S+)\n", output).groups()
    output = run("test", channel_id)
    assert "sent (HTTP 200)" in output
    [request] = webhook_receiver.delivered()
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "test"
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_test_reports_a_failure(owner, webhook_receiver):
    output = run("add", "--user", "owner", "--kind", "webhook", "--url", webhook_receiver.url())
    channel_id = re.match(r"channel (\d+)", output).group(1)
    webhook_receiver.error(404)
    with pytest.raises(CommandError, match="failed \\(HTTP 404\\)"):
        run("test", channel_id)
    with pytest.raises(CommandError, match="No channel 999"):
        run("test", "999")
