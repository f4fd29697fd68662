"""PagerDuty through a real worker to the Events API stand-in: trigger, acknowledge, resolve, one dedup_key."""

import io

import pytest
from django.core.management import call_command

from channels.models import Delivery, DeliveryState
from channels.models import Channel, Kind
from channels.payloads import pagerduty as pagerduty_event
from incidents.models import Incident
from routing import severity
from tests.builders import failed_step, ingest_signal, make_execution
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"
WORKER_ENV = {"ALLOW_PRIVATE_WEBHOOK_TARGETS": "true", "ALERT_RETRY_BASE_SECONDS": "1",
              "ALERT_RETRY_MAX_SECONDS": "2"}


def command(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_trigger_acknowledge_resolve_share_one_dedup_key(celery_processes, pagerduty, operator, tmp_path):
    celery_processes.worker(extra_env={**WORKER_ENV, "PAGERDUTY_EVENTS_URL": pagerduty.url})
    key_file = tmp_path / "routing-key"
    key_file.write_text(ROUTING_KEY + "\n")
    added = command("channel", "add", "--user", "operator", "--kind", "pagerduty", "--routing-key-file",
                    str(key_file), "--organisation")
    channel = Channel.objects.get(pk=int(added.split()[1]))
    assert added == f"channel {channel.pk}"
    # Stored encrypted, shown masked.
    assert ROUTING_KEY not in channel.target_encrypted and ROUTING_KEY not in channel.target_display
    assert channel.target == ROUTING_KEY
    command("route", "add", "--name", "page", "--blueprint", "Onboarding", "--channel", str(channel.pk))
    severity.mark_blueprint("Onboarding", "critical")

    execution = make_execution(name="Onboarding")
    failed_step(execution)
    ingest_signal(execution)  # the trigger is queued on commit
    incident = Incident.objects.get()
    [trigger] = pagerduty.wait_for_actions(["trigger"])
    assert trigger["routing_key"] == ROUTING_KEY
    assert trigger["dedup_key"] == incident.fingerprint
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["summary"].startswith(f"[Plannr] New incident #{incident.pk}")
    wait_for(lambda: Delivery.objects.to_channels().get().state == DeliveryState.SENT, timeout=30, message="sent")

    command("incidents", "ack", str(incident.pk))
    pagerduty.wait_for_actions(["trigger", "acknowledge"])
    command("incidents", "resolve", str(incident.pk))
    events = pagerduty.wait_for_actions(["trigger", "acknowledge", "resolve"])
    assert {e["dedup_key"] for e in events} == {incident.fingerprint}
    assert pagerduty.invalid() == []
    # Each is in the channel's delivery log (written once the answer is read).
    wait_for(lambda: sorted(channel.attempts.values_list("notification_kind", flat=True)) == [
        "incident.acknowledged", "incident.opened", "incident.resolved"], timeout=30, message="three logged attempts")


@pytest.mark.parametrize("ours, theirs", [("critical", "critical"), ("high", "error"), ("normal", "warning"),
                                          ("low", "info")])
def test_severity_maps_to_pagerdutys_four(ours, theirs):
    from channels.messages import Notification

    event = pagerduty_event(Notification("incident", "s", "t", "", "http://x/incidents/1/",
                                         {"fingerprint": "f" * 64, "severity": ours}, event="opened"), ROUTING_KEY)
    assert event["payload"]["severity"] == theirs and event["event_action"] == "trigger"


def test_channel_add_pagerduty_refuses_a_url_or_a_bad_key(operator):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="one of --routing-key"):
        command("channel", "add", "--user", "operator", "--kind", "pagerduty", "--url", "https://x.example")
    with pytest.raises(CommandError, match="routing key"):
        command("channel", "add", "--user", "operator", "--kind", "pagerduty", "--routing-key", "short")
    assert not Channel.objects.filter(kind=Kind.PAGERDUTY).exists()
