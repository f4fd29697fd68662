"""What Plannr text can do to an alert email: bidi controls in the subject."""

import pytest

from alerts import sending
from alerts.models import Delivery
from executions.text import BIDI_CONTROLS
from tests.fixtures.smtp import subject

from .builders import add_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db

RLO = "\u202e"


def test_bidi_controls_from_plannr_are_stripped_from_the_subject(owner, smtp_server):
    execution = make_execution(name=f"Annual {RLO}weiver", client=f"Gareth {RLO}nospmohT")
    add_step(execution, name=f"Send {RLO}SMS", status="failed")
    watch(owner, execution)
    ingest_signal(execution)
    for delivery in Delivery.objects.filter(user=owner):
        sending.send_delivery(delivery.pk, reschedule=False)

    [message] = smtp_server.wait_for_count(1)
    assert not any(c in message["Subject"] for c in BIDI_CONTROLS)
    assert subject(message) == '[Plannr] Step failed: step "Send SMS" in Annual weiver (Gareth nospmohT)'
