"""Incident emails name the Plannr connection when there is more than one, and link out to Plannr."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels import outbox
from channels.models import Delivery, DeliveryState
from executions.failures import detect_failures
from incidents import grouping
from tests.builders import make_connection

from tests.builders import failed_step, make_execution, watch

pytestmark = pytest.mark.django_db


def test_an_incident_email_names_the_connection_and_links_out_when_there_are_several(owner, settings, smtp_server):
    settings.INCIDENT_ALERT_WINDOW_SECONDS = 0
    execution = make_execution()
    failed_step(execution, name="Send SMS")
    watch(owner, execution)
    now = timezone.now()
    grouping.record(execution, detect_failures(execution.status, list(execution.steps.all())), now=now)
    text = lambda: smtp_server.received()[-1].get_body(("plain",)).get_content()  # noqa: E731
    [delivery] = Delivery.objects.alert_emails().all()
    assert outbox.send(delivery.pk, now=now + timedelta(seconds=1)) == DeliveryState.SENT
    assert "[default]" not in text() and "In Plannr" not in text()  # one connection: nothing to tell apart

    other = make_connection("acme", execution_url_template="https://app.plannr.example/automations/{execution_uuid}")
    execution.connection = other
    execution.save(update_fields=["connection"])
    Delivery.objects.alert_emails().update(state=DeliveryState.PENDING, claim_token=None)
    assert outbox.send(delivery.pk, now=now + timedelta(seconds=2)) == DeliveryState.SENT
    assert "[acme]" in text()
    assert f"In Plannr: https://app.plannr.example/automations/{execution.uuid}" in text()
