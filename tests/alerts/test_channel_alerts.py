"""Incident alerts to channels: one row per (alert, channel), sent once, retried, quiet when triaged."""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from accounts import roles
from alerts import channel_alerts
from channels import outbox
from channels.models import Delivery, DeliveryState
from channels.models import Kind
from incidents import services
from incidents.models import Incident
from monitors.models import Finding
from tests.channels.builders import make_channel
from tests.monitors.builders import everything

from .test_incident_alerts import fail, window  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def send_due(now):
    return [outbox.send(pk, now=now) for pk in Delivery.objects.to_channels().order_by("pk").values_list("pk", flat=True)]


@pytest.fixture
def wired(owner, admin, webhook_receiver, window):  # noqa: F811
    roles.assign_role(owner, roles.OPERATOR)
    own_hook = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url("/own"))
    slack = make_channel(owner, Kind.SLACK, webhook_receiver.url("/slack"))
    make_channel(owner, Kind.EMAIL, "owner-extra@example.com")  # email is the Delivery's job
    org = make_channel(admin, Kind.WEBHOOK, webhook_receiver.url("/org"), organisation=True)
    unattached = make_channel(admin, Kind.WEBHOOK, webhook_receiver.url("/unattached"), organisation=True)
    monitor = everything(admin)
    org.monitors.add(monitor)
    return {"own": own_hook, "slack": slack, "org": org, "unattached": unattached, "monitor": monitor}


def fail_found(user, now, monitor, **kwargs):
    from executions.failures import detect_failures
    from incidents import grouping

    from tests.builders import failed_step, make_execution, watch

    execution = make_execution(client=kwargs.get("client", "Gareth Thompson"))
    failed_step(execution, name="Send SMS")
    watch(user, execution)
    Finding.objects.create(monitor=monitor, execution=execution, found_at=now)
    grouping.record(execution, detect_failures(execution.status, list(execution.steps.all())), now=now)
    return execution


def test_each_channel_gets_the_alert_once_with_a_stable_webhook_id(owner, wired, webhook_receiver):
    t0 = timezone.now()
    for i in range(3):
        fail_found(owner, t0 + timedelta(seconds=i), wired["monitor"], client=f"Client {i}")
    rows = Delivery.objects.to_channels().all()
    assert sorted(rows.values_list("channel_id", flat=True)) == sorted(
        [wired["own"].pk, wired["slack"].pk, wired["org"].pk]
    )
    assert Delivery.objects.alert_emails().count() == 2  # email as before: the watcher and the monitor's creator
    assert send_due(t0 + timedelta(seconds=29)) == [None, None, None]  # folding window
    assert send_due(t0 + timedelta(seconds=31)) == [DeliveryState.SENT] * 3
    assert send_due(t0 + timedelta(seconds=60)) == [None] * 3  # claimed once
    assert {r.path for r in webhook_receiver.requests()} == {"/own", "/slack", "/org"}
    assert len(webhook_receiver.requests()) == 3
    [org] = webhook_receiver.requests("/org")
    body = Webhook(wired["org"].signing_secret).verify(org.body, org.headers)
    assert body["incident"]["occurrences"] == 3 and len(body["incident"]["executions"]) == 3
    row = Delivery.objects.to_channels().get(channel=wired["org"])
    assert org.headers["webhook-id"] == str(row.message_uuid)


def test_a_failing_receiver_is_retried_with_the_same_id_and_gets_it_once(owner, wired, webhook_receiver, settings):
    settings.ALERT_RETRY_BASE_SECONDS = 60
    t0 = timezone.now()
    fail_found(owner, t0, wired["monitor"])
    webhook_receiver.error(500)
    now = t0 + timedelta(seconds=31)
    assert set(send_due(now)) == {DeliveryState.RETRYING}
    webhook_receiver.recover()
    assert send_due(now + timedelta(seconds=30)) == [None] * 3  # backoff: not yet due
    queued = []
    result = outbox.sweep(queued.extend, now=now + timedelta(minutes=5))
    # The sweep queues the two emails too: three of what it queued are the channels' rows.
    assert result["queued"] == 5 and Delivery.objects.to_channels().filter(pk__in=queued).count() == 3
    assert send_due(now + timedelta(minutes=5)) == [DeliveryState.SENT] * 3
    ids = {r.headers["webhook-id"] for r in webhook_receiver.requests("/org")}
    assert len(ids) == 1 and len(webhook_receiver.delivered("/org")) == 1


def test_acknowledged_incidents_stay_quiet_on_channels(owner, wired, webhook_receiver):
    t0 = timezone.now()
    fail_found(owner, t0, wired["monitor"])
    services.acknowledge(Incident.objects.get(), by=owner)
    assert send_due(t0 + timedelta(seconds=31)) == [DeliveryState.CANCELLED] * 3
    assert webhook_receiver.requests() == []


def test_a_later_occurrence_found_by_the_monitor_does_not_tell_a_channel_twice(owner, wired, webhook_receiver):
    t0 = timezone.now()
    fail_found(owner, t0, wired["monitor"])
    fail_found(owner, t0 + timedelta(seconds=40), wired["monitor"], client="Other client")
    assert Delivery.objects.to_channels().count() == 3


def test_one_new_incident_reaches_email_teams_slack_and_webhook_exactly_once(owner, admin, webhook_receiver,
                                                                            smtp_server, window):  # noqa: F811
    import json
    from pathlib import Path

    import jsonschema

    from channels import outbox
    from channels import services as channel_services

    roles.assign_role(owner, roles.OPERATOR)
    teams = make_channel(owner, Kind.TEAMS, webhook_receiver.url("/teams"))
    make_channel(owner, Kind.SLACK, webhook_receiver.url("/slack"))
    hook, secret = channel_services.create_channel(owner, Kind.WEBHOOK, "hook", webhook_receiver.url("/webhook"))
    webhook_receiver.ok(202)  # Teams Workflows' answer; Slack and webhooks take any 2xx
    t0 = timezone.now()
    monitor = everything(owner)
    fail_found(owner, t0, monitor)
    due = t0 + timedelta(seconds=31)
    for _ in range(2):  # a second round (a redelivered task, the sweeper) sends nothing again
        [outbox.send(pk, now=due) for pk in Delivery.objects.alert_emails().values_list("pk", flat=True)]
        send_due(due)

    [mail] = smtp_server.wait_for_count(1)
    assert mail["To"] == "owner@example.com" and "New incident" in mail["Subject"]
    [card] = webhook_receiver.requests("/teams")
    content = card.json()["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] and content["body"]
    [blocks] = webhook_receiver.requests("/slack")
    assert [b["type"] for b in blocks.json()["blocks"]][0] == "header" and blocks.json()["text"]
    [signed] = webhook_receiver.requests("/webhook")
    payload = Webhook(secret).verify(signed.body, signed.headers)
    schema = json.loads((Path(__file__).parents[2] / "docs" / "webhook-schema-v1.json").read_text())
    jsonschema.validate(payload, schema)
    assert payload["incident"]["id"] == Incident.objects.get().pk
    assert len(webhook_receiver.requests()) == 3 and len(smtp_server.received()) == 1
    assert Delivery.objects.to_channels().filter(state=DeliveryState.SENT).count() == 3
    assert Delivery.objects.to_channels().filter(channel__in=[teams, hook]).count() == 2


def test_channel_rows_are_queued_on_commit_due_when_the_fold_window_ends(owner, wired, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from channels import tasks

    queued = []
    monkeypatch.setattr(tasks.send_delivery, "apply_async",
                        lambda args, countdown=None, **kwargs: queued.append((args[0], countdown)))
    with django_capture_on_commit_callbacks(execute=True):
        fail_found(owner, timezone.now(), wired["monitor"])
    channel_rows = set(Delivery.objects.to_channels().values_list("pk", flat=True))
    assert len(channel_rows) == 3 and channel_rows <= {pk for pk, _ in queued}
    # Not before the 30 s fold window ends: the sweeper is only the backstop.
    assert all(countdown and countdown >= 30 for pk, countdown in queued if pk in channel_rows)
