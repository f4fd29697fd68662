"""Secret parts of channel URLs and signing secrets never reach a page, a log line or an error text.

Channels are made with recognisable secrets, made to fail in the ways that
quote a URL (a receiver echoing the path, a refused target, an unreachable
one), and then every page, the captured log and every stored error is grepped.
"""

import logging
import socket

import pytest
from django.urls import reverse

from channels import outbox
from channels.models import Channel, DeliveryAttempt, Kind, Delivery

from .builders import make_channel

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = ["SeCrEtPaTh0001", "SeCrEtQuErY0002", "SeCrEtSlAcK0003"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_secrets_never_appear_in_pages_logs_or_errors(
    client, owner, webhook_receiver, smtp_server, settings, caplog, django_user_model
):
    caplog.set_level(logging.DEBUG)
    settings.CHANNEL_BROKEN_AFTER_HOURS = 0  # the first failure breaks it: the notice email is checked too
    echoing = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url(f"/in/{SECRETS[0]}?token={SECRETS[1]}"))
    unreachable = make_channel(owner, Kind.SLACK, f"http://127.0.0.1:{free_port()}/services/{SECRETS[2]}")
    refused = make_channel(owner, Kind.TEAMS, f"https://169.254.169.254/{SECRETS[2]}x")
    signing_secret = echoing.signing_secret
    webhook_receiver.error(500, echo=True)
    assert SECRETS[0] in webhook_receiver.url(f"/in/{SECRETS[0]}")  # the receiver does quote it

    for channel in (echoing, unreachable):
        outbox.send(outbox.request_test(channel, owner, enqueue=lambda ids: None).pk)
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    for channel in (echoing, refused):
        outbox.send(outbox.request_test(channel, owner, enqueue=lambda ids: None).pk)

    errors = list(DeliveryAttempt.objects.values_list("error", flat=True))
    errors += list(Delivery.objects.values_list("last_error", flat=True))
    assert any("answered 500: no route for POST [redacted]" in e for e in errors), "\n".join(errors)  # the echo, masked
    assert any("Refused" in e for e in errors) and any("Error" in e for e in errors)

    client.force_login(owner)
    pages = [client.get(reverse("channels:list")), client.get(reverse("channels:add"))]
    for channel in (echoing, unreachable, refused):
        pages.append(client.get(reverse("channels:detail", args=[channel.pk])))
        pages.append(client.get(reverse("channels:log", args=[channel.pk])))
        for message in channel.deliveries.all():
            pages.append(client.get(reverse("channels:test_status", args=[channel.pk, message.pk])))
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    pages.append(client.get(reverse("admin:channels_channel_changelist")))
    pages.append(client.get(reverse("admin:channels_channel_change", args=[echoing.pk])))
    pages.append(client.get(reverse("admin:channels_deliveryattempt_changelist")))
    assert all(page.status_code == 200 for page in pages)

    haystacks = {
        "pages": "\n".join(page.content.decode() for page in pages),
        "logs": caplog.text + "\n".join(str(r.__dict__) for r in caplog.records),
        "errors": "\n".join(errors),
        "emails": "\n".join(m.as_string() for m in smtp_server.received()),
        "reprs": "\n".join(repr(c) + str(c) for c in Channel.objects.all()),
    }
    assert smtp_server.received(), "the broken notices were sent (and so checked)"
    for where, text in haystacks.items():
        for secret in [*SECRETS, signing_secret, signing_secret.removeprefix("whsec_")]:
            assert secret not in text, f"{secret} leaked into {where}"
