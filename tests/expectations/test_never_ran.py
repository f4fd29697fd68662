"""A blueprint that has never run misses its volume expectation: the missing incident opens with
no execution at all, is emailed to the covering monitor's subscribers and posted to the
organisation channel attached to that monitor, and resolves itself once executions arrive.

On the simulator over real HTTP (discovery by `manage.py discover`), a real Celery worker on
Redis, a real SMTP server (aiosmtpd) and a real HTTP receiver for the webhook channel.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from channels.models import Delivery, DeliveryState
from channels.models import Kind
from expectations import evaluation
from expectations.models import State
from executions.models import Execution, FailureKind
from incidents.models import Incident, Status
from monitors import subscriptions
from simulator import stories
from tests.channels.builders import make_channel
from tests.expectations.builders import volume
from tests.fixtures.smtp import body, subject
from tests.monitors.builders import blueprint as blueprint_monitor
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REVIEW = stories.BLUEPRINTS_BY_NAME["Annual review reminder"]
WORKER_ENV = {"ALLOW_PRIVATE_WEBHOOK_TARGETS": "true"}


def discover():
    call_command("discover", stdout=StringIO())


def test_a_blueprint_that_never_ran_is_alerted_as_missing_and_resolves_when_it_runs(
    simulator, owner, admin, other_user, celery_processes, smtp_server, webhook_receiver
):
    # The owner's monitor covers the blueprint since yesterday; the simulator has never run it.
    monitor = blueprint_monitor(owner, REVIEW.uuid, backfill_days=1)
    subscriptions.subscribe(monitor, other_user)
    ops = make_channel(admin, Kind.WEBHOOK, webhook_receiver.url("/ops"), organisation=True)
    ops.monitors.add(monitor)
    make_channel(admin, Kind.WEBHOOK, webhook_receiver.url("/elsewhere"), organisation=True)
    discover()
    assert not Execution.objects.filter(name=REVIEW.name).exists()
    expectation = volume(at_least=1, within=10, blueprint_uuid=REVIEW.uuid)

    celery_processes.worker(extra_env={**smtp_server.env, **WORKER_ENV})
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.BREACHED
    incident = Incident.objects.get()
    assert incident.family == FailureKind.MISSING and incident.blueprint_name == REVIEW.name
    assert incident.occurrence_rows.get().execution_id is None
    # Both subscribers are emailed; only the channel attached to the covering monitor is posted to.
    assert set(Delivery.objects.alert_emails().values_list("user_id", flat=True)) == {owner.pk, other_user.pk}
    assert list(Delivery.objects.to_channels().values_list("channel_id", flat=True)) == [ops.pk]
    wait_for(lambda: Delivery.objects.alert_emails().filter(state=DeliveryState.SENT).count() == 2, timeout=60,
             message="the missing incident's two emails")
    messages = smtp_server.wait_for_count(2)
    assert {m["To"] for m in messages} == {owner.email, other_user.email}
    assert all(f"{REVIEW.name}: 0 executions since" in subject(m) for m in messages)
    assert "expected at least 1 per 10 min" in body(messages[0], "plain")
    [posted] = webhook_receiver.wait_for_count(1)
    assert posted.path == "/ops" and posted.json()["incident"]["family"] == FailureKind.MISSING
    assert posted.json()["incident"]["executions"] == []

    # The blueprint runs at last: the next check resolves the incident, and its history says why.
    simulator.create_execution(name=REVIEW.name)
    discover()
    [verdict] = evaluation.evaluate()
    assert verdict.state == State.OK
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.history.first().note.startswith("Executions arrived again: 1 execution since")
    assert [c.to_status for c in incident.history.order_by("at", "id")] == [Status.RESOLVED]
    expectation.refresh_from_db()
    assert expectation.state == State.OK
