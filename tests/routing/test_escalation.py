"""Routing and escalation through a real worker: emails to aiosmtpd, Teams cards to an HTTP receiver.

Beat's job (`routing.escalation.take_due`) runs here on a time-machine clock: the incident
opens two hours ago, and each step is taken at the minute it is due, so the rows it writes
are already due for the worker, which sends them at once.
"""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from channels.models import Delivery
from alerts.tasks import notify_step
from audit.models import AuditEvent
from channels.services import create_channel
from incidents import services
from incidents.models import Incident, Status
from routing import escalation
from routing.models import Escalation
from tests.builders import failed_step, ingest_signal, make_execution, watch
from tests.fixtures.smtp import body
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {"ALLOW_PRIVATE_WEBHOOK_TARGETS": "true"}


def command(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def fail(name, watcher=None):
    execution = make_execution(name=name)
    failed_step(execution)
    if watcher:
        watch(watcher, execution)
    ingest_signal(execution)
    return execution


def take(at):
    with time_machine.travel(at, tick=False):
        return escalation.take_due(notify_step)


def emails_to(smtp_server, address):
    return [m for m in smtp_server.received() if address in str(m["To"])]


@pytest.fixture
def teams(webhook_receiver, admin):
    webhook_receiver.ok(202)  # Teams Workflows answer 202
    channel, _ = create_channel(admin, "teams", "Paraplanning", webhook_receiver.url("/teams"), organisation=True,
                                operator=True)
    return channel


def test_first_match_goes_to_the_teams_channel_and_the_rest_to_the_watchers(
    celery_processes, smtp_server, webhook_receiver, teams, owner
):
    celery_processes.worker(extra_env={**smtp_server.env, **WORKER_ENV})
    command("route", "add", "--name", "paraplanning", "--blueprint", "Paraplanning", "--channel", str(teams.pk))
    fail("Paraplanning", watcher=owner)
    [card] = webhook_receiver.wait_for_delivered(1, path="/teams")
    content = card.json()["attachments"][0]["content"]
    assert "Paraplanning" in str(content)
    titles = [a["title"] for a in content["actions"]]
    assert titles == ["Open in Plannr monitor", "Acknowledge", "Resolve"]

    fail("Onboarding", watcher=owner)  # no route matches: the default route, by email
    [message] = smtp_server.wait_for_count(1)
    assert "Onboarding" in body(message, "plain") and "owner@example.com" in str(message["To"])
    assert len(webhook_receiver.requests(path="/teams")) == 1
    # The routed incident's watcher was not emailed.
    assert not Delivery.objects.alert_emails().filter(alert__incident__blueprint_name="Paraplanning").exists()


def test_step_one_step_two_and_repeats(celery_processes, smtp_server, webhook_receiver, teams, owner, operator):
    celery_processes.worker(extra_env={**smtp_server.env, **WORKER_ENV})
    command("route", "add", "--name", "paraplanning", "--blueprint", "Paraplanning", "--user", "owner",
            "--escalate", "15:user:operator", "--escalate", f"30:channel:{teams.pk}",
            "--repeat-minutes", "10", "--max-repeats", "2")
    opened = timezone.now() - timedelta(hours=2)
    with time_machine.travel(opened, tick=False):
        fail("Paraplanning")
    incident = Incident.objects.get()
    smtp_server.wait_for_count(1)  # the route's user, at once
    assert take(opened + timedelta(minutes=14)) == 0

    assert take(opened + timedelta(minutes=15)) == 1  # step 1: the operator, by email
    wait_for(lambda: len(emails_to(smtp_server, "operator@example.com")) == 1, timeout=30, message="step 1 email")
    [step_one] = emails_to(smtp_server, "operator@example.com")
    assert "/routing/a/" in body(step_one, "plain")

    assert take(opened + timedelta(minutes=30)) == 1  # step 2: the Teams channel
    webhook_receiver.wait_for_delivered(1, path="/teams")
    assert take(opened + timedelta(minutes=40)) == 1  # repeat 1
    assert take(opened + timedelta(minutes=50)) == 1  # repeat 2
    webhook_receiver.wait_for_delivered(3, path="/teams")
    assert take(opened + timedelta(minutes=60)) == 0  # at most two repeats
    assert take(opened + timedelta(hours=1, minutes=59)) == 0
    assert Escalation.objects.get().next_at is None
    assert len(webhook_receiver.requests(path="/teams")) == 3

    notes = list(incident.history.filter(note__startswith="Escalation").order_by("at").values_list("note", flat=True))
    assert len(notes) == 4
    assert "step 1" in notes[0] and "user operator" in notes[0]
    assert "step 2" in notes[1] and f"channel {teams.pk}" in notes[1]
    assert all("repeat of step 2" in n for n in notes[2:])
    assert AuditEvent.objects.filter(action="incident.escalate", target=f"incident:{incident.pk}").count() == 4


def test_an_acknowledgement_through_the_email_link_stops_it_and_a_regression_restarts_it(
    celery_processes, smtp_server, webhook_receiver, teams, owner, operator, client
):
    celery_processes.worker(extra_env={**smtp_server.env, **WORKER_ENV})
    command("route", "add", "--name", "paraplanning", "--blueprint", "Paraplanning", "--user", "owner",
            "--escalate", "15:user:operator", "--escalate", f"30:channel:{teams.pk}")
    opened = timezone.now() - timedelta(hours=2)
    with time_machine.travel(opened, tick=False):
        execution = fail("Paraplanning")
    incident = Incident.objects.get()
    assert take(opened + timedelta(minutes=15)) == 1
    wait_for(lambda: len(emails_to(smtp_server, "operator@example.com")) == 1, timeout=30, message="step 1 email")
    [email] = emails_to(smtp_server, "operator@example.com")
    link = re.search(r"Acknowledge: (\S+)", body(email, "plain")).group(1)
    path = re.sub(r"^https?://[^/]+", "", link)

    client.force_login(operator)
    assert client.get(path).status_code == 200  # the confirmation: nothing changed yet
    assert Escalation.objects.get().next_at is not None
    assert client.post(path).status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED and incident.status_changed_by == operator
    assert Escalation.objects.get().stopped_reason == Status.ACKNOWLEDGED

    assert take(opened + timedelta(minutes=30)) == 0
    assert not Delivery.objects.to_channels().exists() and webhook_receiver.requests(path="/teams") == []

    # Resolved, then it fails again: the policy starts over.
    services.resolve(incident, operator)
    again = make_execution(name="Paraplanning")
    failed_step(again)
    ingest_signal(again)
    restarted = Escalation.objects.get()
    assert (restarted.taken, restarted.stopped_reason) == (0, "")
    assert restarted.next_at > timezone.now() + timedelta(minutes=14)
    assert execution.pk != again.pk
