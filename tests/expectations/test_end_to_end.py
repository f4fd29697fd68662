"""From the simulator to the inbox: a blueprint falls silent, a missing incident is emailed, and
resolves itself when executions arrive again; a hung execution is an emailed late incident;
business hours and a maintenance window raise nothing, and the silence after them is emailed.

Discovery runs in this process over real HTTP (`manage.py discover`); the emails go through a
real Celery worker on Redis to a real SMTP server (aiosmtpd). time-machine moves only the
evaluation's clock: the simulator and the worker keep real time.
"""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from channels.models import Delivery, DeliveryState
from expectations import evaluation
from expectations.models import State
from executions.models import FailureKind
from incidents.models import Incident, Status
from simulator import stories
from simulator.control import SimulatorControl
from tests.expectations.builders import deadline, volume
from tests.fixtures.smtp import body, subject
from tests.monitors.builders import blueprint as blueprint_monitor
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REVIEW = stories.BLUEPRINTS_BY_NAME["Annual review reminder"]


def discover():
    call_command("discover", stdout=StringIO())


def test_silence_is_emailed_as_a_missing_incident_that_resolves_when_executions_arrive(
    simulator, owner, celery_processes, smtp_server
):
    blueprint_monitor(owner, REVIEW.uuid, backfill_days=1)
    last_seen = timezone.now() - timedelta(minutes=25)
    simulator.create_execution(name=REVIEW.name, created_at=last_seen.isoformat())
    discover()
    expectation = volume(at_least=1, within=10, blueprint_uuid=REVIEW.uuid)
    # Twenty minutes ago (time-machine) the last execution was recent: all well.
    with time_machine.travel(timezone.now() - timedelta(minutes=20), tick=False):
        assert evaluation.evaluate()[0].state == State.OK
    celery_processes.worker(extra_env=smtp_server.env)
    # Now, 25 minutes of silence: the alert is due now, so the worker sends it at once.
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.BREACHED
    incident = Incident.objects.get()
    assert incident.family == FailureKind.MISSING
    assert incident.title.startswith("Annual review reminder: 0 executions since ")
    assert incident.title.endswith(", expected at least 1 per 10 min")
    wait_for(lambda: Delivery.objects.alert_emails().filter(state=DeliveryState.SENT).count() == 1, timeout=60,
             message="the missing incident's email")
    [message] = smtp_server.wait_for_count(1)
    assert "Annual review reminder: 0 executions since" in subject(message)

    simulator.create_execution(name=REVIEW.name)
    discover()
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.OK
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.history.first().note.startswith("Executions arrived again: 1 execution since")
    expectation.refresh_from_db()
    assert expectation.state == State.OK


def test_a_hung_execution_is_emailed_as_a_late_incident_that_resolves_when_it_finishes(
    simulator, owner, celery_processes, smtp_server
):
    blueprint_monitor(owner, REVIEW.uuid, backfill_days=1)
    created_at = timezone.now() - timedelta(minutes=45)
    created = simulator.create_execution(
        name=REVIEW.name, steps=[{"name": "Create task", "status": "completed"}], created_at=created_at.isoformat(),
    )
    control = SimulatorControl(simulator.url, simulator.token)
    hung = control.hang(created["uuid"], step=1)
    assert hung["status"] == "in_progress" and hung["next_step"]["name"] == REVIEW.steps[1].name
    discover()
    deadline(minutes=30, blueprint_uuid=REVIEW.uuid)
    # Twenty minutes after it was created (time-machine) the run was not late yet.
    with time_machine.travel(created_at + timedelta(minutes=20), tick=False):
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.OK and not Incident.objects.exists()
    celery_processes.worker(extra_env=smtp_server.env)
    # Now, 45 minutes after: late, and the incident's alert is due at once.
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.BREACHED
    incident = Incident.objects.get()
    assert incident.family == FailureKind.LATE
    assert [str(o.execution.uuid) for o in incident.occurrence_rows.all()] == [created["uuid"]]
    wait_for(lambda: Delivery.objects.alert_emails().filter(state=DeliveryState.SENT).count() == 1, timeout=60,
             message="the late incident's email")
    [message] = smtp_server.wait_for_count(1)
    assert "Annual review reminder: executions" in subject(message)  # the subject is cut to stay short
    assert "Annual review reminder: executions not finished within 30 min" in body(message, "plain")

    control.drive(created["uuid"], status="completed")
    from tests.alerts.test_end_to_end import poll

    poll()
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.OK
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.history.first().note == "No execution is late any more."


def _zone_near_noon(now):
    """A fixed-offset zone where it is about noon now, so business hours fit in one day at any hour."""
    offset = (12 - now.hour + 12) % 24 - 12  # -12..11 hours east of UTC
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def test_quiet_periods_raise_nothing_and_silence_after_them_is_emailed_as_missing(
    simulator, owner, celery_processes, smtp_server
):
    from monitors import services as monitor_services

    monitor = blueprint_monitor(owner, REVIEW.uuid, backfill_days=1)
    simulator.create_execution(name=REVIEW.name, created_at=(timezone.now() - timedelta(hours=2)).isoformat())
    discover()
    zone = _zone_near_noon(timezone.now())
    # Business hours opened twenty minutes ago, in real time: the worker's clock.
    opened = (timezone.now() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    local = opened.astimezone(ZoneInfo(zone))
    hours = f"daily {local:%H:%M}-{local + timedelta(hours=3):%H:%M}"
    expectation = volume(at_least=1, within=10, blueprint_uuid=REVIEW.uuid, hours=hours, time_zone=zone)

    with time_machine.travel(opened - timedelta(minutes=5), tick=False):
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.QUIET
    assert verdict.reason == f"Quiet: outside business hours ({hours} {zone})."
    # A maintenance window over the first ten minutes of the hours.
    monitor_services.pause(monitor, until=opened + timedelta(minutes=10))
    with time_machine.travel(opened + timedelta(minutes=5), tick=False):
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.QUIET
    assert verdict.reason.startswith(f"Quiet: maintenance window: monitor “{monitor.name}” is paused until ")
    # The window ended five minutes ago: a fresh window of ten minutes is not whole yet.
    with time_machine.travel(opened + timedelta(minutes=15), tick=False):
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.OK and "a full window ends at" in verdict.reason
    assert not Incident.objects.exists() and not Delivery.objects.alert_emails().exists()

    celery_processes.worker(extra_env=smtp_server.env)
    [verdict] = evaluation.evaluate()  # now: ten minutes of silence after the maintenance window
    assert verdict.state == State.BREACHED
    incident = Incident.objects.get()
    assert incident.family == FailureKind.MISSING
    wait_for(lambda: Delivery.objects.alert_emails().filter(state=DeliveryState.SENT).count() == 1, timeout=60,
             message="the missing incident's email after the quiet periods")
    [message] = smtp_server.wait_for_count(1)
    assert "Annual review reminder: 0 executions since" in subject(message)
    expectation.refresh_from_db()
    assert expectation.state == State.BREACHED


def test_not_watched_maintenance_and_business_hours_on_discovered_executions(simulator, owner):
    from monitors import services as monitor_services

    expectation = volume(at_least=1, within=10, blueprint_uuid=REVIEW.uuid, hours="mon-fri 09:00-17:00")
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.NOT_WATCHED and verdict.reason == "Not watched: no active monitor covers this blueprint."

    monitor = blueprint_monitor(owner, REVIEW.uuid, backfill_days=1)
    simulator.create_execution(name=REVIEW.name, created_at=(timezone.now() - timedelta(minutes=30)).isoformat())
    discover()
    london = timezone.now().astimezone(ZoneInfo("Europe/London"))
    monday_ten = (london + timedelta(days=7 - london.weekday())).replace(hour=10, minute=0, second=0, microsecond=0)
    monitor_services.pause(monitor, until=monday_ten + timedelta(hours=1))
    with time_machine.travel(monday_ten, tick=False):
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.QUIET and "maintenance window" in verdict.reason
    monitor_services.resume(monitor)
    with time_machine.travel(monday_ten - timedelta(days=2), tick=False):  # Saturday
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.QUIET and "outside business hours" in verdict.reason
    with time_machine.travel(monday_ten, tick=False):  # an hour into Monday's hours, nothing since Friday
        [verdict] = evaluation.evaluate()
    assert verdict.state == State.BREACHED
    assert verdict.reason == "0 executions since 09:50, expected at least 1 per 10 min"
    assert Incident.objects.get().family == FailureKind.MISSING
    expectation.refresh_from_db()
    assert expectation.state == State.BREACHED
