"""From the simulator to the inbox: a burst of 300 failures with 3 causes is 3 incidents and 3 emails.

Polling runs in this process (`manage.py poll`); the emails go through a real
Celery worker on Redis to a real SMTP server (aiosmtpd).
"""

import random
import uuid as uuid_lib

import pytest

from channels.models import Delivery, DeliveryState
from dashboard.celery import app as celery_app
from executions.models import Execution
from executions.watching import watch_executions
from incidents import services
from incidents.models import Incident, Status
from tests.alerts.test_end_to_end import poll
from tests.fixtures.smtp import subject
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BLUEPRINT = "Send client welcome pack to newly created client"
rng = random.Random(12)


def cause(n, i):
    """Three causes; each message carries a different uuid, number or e-mail address."""
    if n == 0:
        return "Send SMS", f'"[{{errors : "the account_uuid field is required for client {uuid_lib.UUID(int=rng.getrandbits(128), version=4)}" }}]"'
    if n == 1:
        return "Send email", f'{{"error": "Mailbox full for client{i}.{rng.randrange(10**6)}@example.com"}}'
    return "Create task", f'{{"errors": ["Adviser {rng.randrange(10**5)} not found (request {rng.randrange(10**9)})"]}}'


def sent_count(count):
    def check():
        return Delivery.objects.alert_emails().filter(state=DeliveryState.SENT).count() == count

    return check


def test_three_hundred_failures_with_three_causes_are_three_incidents_and_three_emails(
    simulator, owner, celery_processes, smtp_server, settings
):
    # Long enough to cover the burst's two poll batches, so each email counts all 100.
    settings.INCIDENT_ALERT_WINDOW_SECONDS = 10
    uuids = [
        simulator.create_execution(
            name=BLUEPRINT,
            steps=[{"name": "Create client folder", "status": "completed"}],
            account={"first_name": f"Client{i}", "last_name": "Test"},
        )["uuid"]
        for i in range(301)
    ]
    watch_executions(owner, uuids)
    poll()
    assert Execution.objects.filter(status="in_progress").count() == 301
    # Watching queued a poll_now of the 301 for a worker (executions/watching.py), and the
    # poll above has done it. Drop it: the worker started below would run it while the
    # drives and the poll after them run, and that poll skips every row the worker's batch
    # holds claimed, so those failures would be ingested late or not at all.
    celery_app.control.purge()
    celery_processes.worker(extra_env=smtp_server.env)

    for i, uuid in enumerate(uuids[:300]):
        step, info = cause(i % 3, i)
        simulator.drive(uuid, status="failed", add_steps=[{"name": step, "status": "failed", "info": info}])
    poll()

    assert sorted(Incident.objects.values_list("occurrences", flat=True)) == [100, 100, 100]
    assert sorted(Incident.objects.values_list("clients", flat=True)) == [100, 100, 100]
    wait_for(sent_count(3), timeout=60, message="three incident emails")
    received = smtp_server.wait_for_count(3)
    assert sorted(subject(m).split(": ", 1)[1].split(" — ")[0] for m in received) == ["Create task", "Send SMS", "Send email"]
    assert all(subject(m).endswith("(100 executions)") for m in received), [subject(m) for m in received]

    # Resolved, then one more execution fails the same way: reopened, one more email.
    sms = Incident.objects.get(step_name="Send SMS")
    services.resolve(sms, by=owner)
    step, info = cause(0, 300)
    simulator.drive(uuids[300], status="failed", add_steps=[{"name": step, "status": "failed", "info": info}])
    poll()
    sms.refresh_from_db()
    assert (sms.status, sms.regression, sms.occurrences) == (Status.OPEN, True, 101)
    wait_for(sent_count(4), timeout=60, message="the regression email")
    received = smtp_server.wait_for_count(4)
    assert len(received) == 4
    assert subject(received[-1]).startswith(f"[Plannr] Regression #{sms.pk}: Send SMS")
    assert Incident.objects.count() == 3
