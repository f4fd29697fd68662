"""Channel changes and test sends write audit rows, without the target URL or the secret."""

import json

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from channels.models import Channel, Kind

from .builders import make_channel

pytestmark = pytest.mark.django_db

TARGET = "https://receiver.example.com/in/abc123secret"


def test_create_test_confirm_and_delete_are_audited_without_secrets(owner_client, owner):
    owner_client.post(reverse("channels:add"), {"name": "Ops", "kind": "webhook", "target": TARGET})
    channel = Channel.objects.get()
    secret = channel.signing_secret
    owner_client.post(reverse("channels:test", args=[channel.pk]))
    teams = make_channel(owner, Kind.TEAMS, "https://example.com/workflows/x")
    owner_client.post(reverse("channels:confirm", args=[teams.pk]), {"arrived": "yes"})
    owner_client.post(reverse("channels:delete", args=[channel.pk]))

    channel_rows = AuditEvent.objects.filter(action__startswith="channel.").order_by("pk")
    rows = list(channel_rows.values_list("action", "target", "actor_name"))
    assert rows == [
        ("channel.create", f"channel:{channel.pk}", owner.username),
        ("channel.test", f"channel:{channel.pk}", owner.username),
        ("channel.create", f"channel:{teams.pk}", "manage.py channel"),
        ("channel.update", f"channel:{teams.pk}", owner.username),
        ("channel.delete", f"channel:{channel.pk}", owner.username),
    ]
    created = channel_rows.filter(action="channel.create").first()
    assert created.after == {"name": "Ops", "kind": "webhook", "organisation": False}
    assert AuditEvent.objects.get(action="channel.update").after == {"confirmed": True}
    stored = json.dumps(list(channel_rows.values("target", "before", "after")))
    assert "abc123secret" not in stored and secret not in stored and "workflows" not in stored


def test_an_admin_attaches_monitors_to_an_organisation_channel(admin, owner_client, owner):
    from django.test import Client

    from tests.monitors.builders import everything

    client = Client()

    channel = make_channel(admin, Kind.WEBHOOK, TARGET, name="Ops Teams", organisation=True)
    mine = make_channel(owner, Kind.WEBHOOK, TARGET)
    monitor = everything(admin, name="Everything")
    client.force_login(admin)
    page = client.get(reverse("channels:detail", args=[channel.pk])).content.decode()
    assert 'name="monitor"' in page and "Everything" in page
    client.post(reverse("channels:monitors", args=[channel.pk]), {"monitor": [str(monitor.pk)]})
    assert list(channel.monitors.all()) == [monitor]
    update = AuditEvent.objects.get(action="channel.update")
    assert update.before == {"monitors": []} and update.after == {"monitors": [monitor.pk]}
    assert 'name="monitor"' not in owner_client.get(reverse("channels:detail", args=[mine.pk])).content.decode()
    # An Operator may not attach (the rule), and a personal channel cannot be attached at all.
    assert owner_client.post(reverse("channels:monitors", args=[channel.pk])).status_code == 403
    assert client.post(reverse("channels:monitors", args=[mine.pk])).status_code == 404
