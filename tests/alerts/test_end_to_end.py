"""From the simulator to the inbox: a step fails in Plannr, polling sees it, a worker emails it.

Polling runs in this process (`manage.py poll`, one synchronous cycle); the
emails go through a real Celery worker on Redis to a real SMTP server.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts.models import FailureEvent
from channels.models import Delivery, DeliveryState
from dashboard.celery import app as celery_app
from executions.models import FailureKind
from executions.models import Execution, Watch
from incidents.models import Incident
from executions.watching import watch_executions
from tests.fixtures.smtp import body, subject
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BLUEPRINT = "Send client welcome pack to newly created client"
PLANNR_INFO = '"[{errors : "the account_uuid field is required" }]"'


def poll():
    """One poll cycle, now (due or not: the test decides when Plannr is looked at)."""
    Execution.objects.filter(next_poll_at__isnull=False).update(next_poll_at=timezone.now())
    Execution.objects.filter(final_confirmed=True).update(final_confirmed=False, next_poll_at=timezone.now())
    call_command("poll", stdout=StringIO())


def sent_count(count):
    def check():
        states = list(Delivery.objects.alert_emails().values_list("state", flat=True))
        return len(states) == count and all(s == DeliveryState.SENT for s in states)

    return check


@pytest.fixture
def watched(simulator, owner, other_user, outsider):
    payload = simulator.create_execution(
        name=BLUEPRINT,
        steps=[{"name": "Create client folder", "status": "completed"}],
        next_step={"name": "Send SMS"},
        account={"first_name": "Gareth", "last_name": "Thompson"},
    )
    uuid = payload["uuid"]
    for user in (owner, other_user, outsider):
        watch_executions(user, [uuid])
    Watch.objects.filter(user=outsider).update(muted=True)
    poll()
    # Watching queued a poll_now for a worker, and the poll above did it: drop it, or a
    # worker started by the test would poll alongside the test's own polls (whatever
    # order the fixtures set up in).
    celery_app.control.purge()
    execution = Execution.objects.get(uuid=uuid)
    assert execution.status == "in_progress" and execution.account_name == "Gareth Thompson"
    assert not FailureEvent.objects.exists()
    return uuid


def test_a_step_failing_in_plannr_emails_each_watcher_once_and_not_the_muted_one(
    watched, simulator, celery_processes, smtp_server
):
    celery_processes.worker(extra_env=smtp_server.env)
    simulator.drive(watched, add_steps=[{"name": "Send SMS", "status": "failed", "info": PLANNR_INFO}])
    poll()
    wait_for(sent_count(2), timeout=30, message="two alert emails sent")
    received = smtp_server.wait_for_count(2)
    assert sorted(e["to"][0] for e in smtp_server.envelopes()) == ["other@example.com", "owner@example.com"]
    incident = Incident.objects.get()
    for message in received:
        # The headline is cut to keep the subject short; how much depends on the id's length.
        assert subject(message).startswith(f"[Plannr] New incident #{incident.pk}: Send SMS — the account_uuid")
        assert subject(message).endswith(" (1 execution)") and len(subject(message)) <= 88
        for part in (body(message, "plain"), body(message, "html")):
            assert "the account_uuid field is required" in part
            assert f"http://testserver/executions/{watched}/" in part
            assert "http://testserver/alerts/settings/" in part

    # Polled again, unchanged or changed without a new failure: no new email.
    poll()
    simulator.drive(watched, status="failed")
    poll()
    assert FailureEvent.objects.count() == 2  # the step, and the execution (covered by the step's alert)
    assert Incident.objects.count() == 1  # the execution's failure belongs to the step's incident
    assert Delivery.objects.alert_emails().count() == 2
    assert len(smtp_server.received()) == 2


def test_a_completed_step_with_an_error_in_its_info_gives_one_hidden_failure_email(
    watched, simulator, celery_processes, smtp_server, owner
):
    Watch.objects.exclude(user=owner).delete()
    celery_processes.worker(extra_env=smtp_server.env)
    simulator.drive(watched, add_steps=[{"name": "Send SMS", "status": "completed", "info": PLANNR_INFO}])
    poll()
    wait_for(sent_count(1), timeout=30, message="the hidden failure email")
    [message] = smtp_server.wait_for_count(1)
    assert FailureEvent.objects.get().kind == FailureKind.HIDDEN
    incident = Incident.objects.get()
    assert incident.family == "hidden"
    assert subject(message).startswith(f"[Plannr] New incident #{incident.pk}: Send SMS — ")
    assert "hidden failure" in body(message, "plain").lower()
    assert PLANNR_INFO in body(message, "plain")
