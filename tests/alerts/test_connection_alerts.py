"""A broken, then restored, Plannr connection is told to the organisation's channels too,
exactly once per break per destination (alerts/connection_alerts.py), over real HTTP: the
simulator refuses the revoked token and a real receiver takes the organisation's webhook."""

import json

import pytest
from django.core import mail
from django.utils import timezone

from channels import outbox as channel_outbox
from channels.models import Channel, Kind, Delivery, new_signing_secret
from connections import health, services
from connections.defaults import ensure_default
from executions import polling
from executions.models import Execution
from executions.watching import watch_executions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def send_all():
    for pk in Delivery.objects.values_list("pk", flat=True):
        channel_outbox.send(pk)


def test_organisation_channels_are_told_once_per_break_and_once_restored(simulator, admin, owner, webhook_receiver):
    admin.email = "admin@firm.example"
    admin.save()
    hook = Channel.objects.create(
        kind=Kind.WEBHOOK, name="team hook", target=webhook_receiver.url("/team"), signing_secret=new_signing_secret()
    )
    team_mail = Channel.objects.create(kind=Kind.EMAIL, name="team mailbox", target="ops@firm.example")
    # The same address as the Admin's own: one destination, told once.
    Channel.objects.create(kind=Kind.EMAIL, name="admin again", target="Admin@firm.example")
    Channel.objects.create(owner=owner, kind=Kind.WEBHOOK, name="not an admin's", target=webhook_receiver.url("/own"),
                           signing_secret=new_signing_secret())
    watch_executions(owner, simulator.create_many(2))
    polling.run_cycle()

    simulator.server.tenancy.revoke(simulator.user)
    Execution.objects.update(next_poll_at=timezone.now())
    polling.run_cycle()
    connection = ensure_default()
    assert connection.state() == "broken"
    polling.run_cycle()
    health.check()
    services.test(connection)  # still refused: nobody is told again
    broken = Delivery.objects.filter(notice__kind="connection", notice__event="broken")
    assert sorted((m.address, m.channel_id) for m in broken) == sorted(
        [("admin@firm.example", None), ("", hook.pk), ("", team_mail.pk)]
    )
    send_all()
    [told] = webhook_receiver.wait_for_delivered(1, path="/team")
    assert "Plannr connection default is broken" in json.dumps(json.loads(told.body))
    assert sorted(m.to[0].lower() for m in mail.outbox) == ["admin@firm.example", "ops@firm.example"]

    simulator.server.tenancy.restore(simulator.user)
    assert services.test(connection)[0]
    services.test(connection)
    restored = Delivery.objects.filter(notice__kind="connection", notice__event="restored")
    assert sorted(m.channel_id or 0 for m in restored) == sorted([0, hook.pk, team_mail.pk])
    send_all()
    webhook_receiver.wait_for_delivered(2, path="/team")
    assert webhook_receiver.requests("/own") == [] and len(webhook_receiver.requests("/team")) == 2
    assert len(mail.outbox) == 4
