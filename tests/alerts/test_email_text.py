"""What Plannr text can do to an alert email: bidi controls in the subject."""

import pytest
from django.utils.html import escape

from channels import outbox
from channels.models import Delivery
from executions.text import BIDI_CONTROLS
from tests.fixtures.smtp import body, subject

from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db

RLO = "\u202e"


def test_bidi_controls_from_plannr_are_stripped_from_the_subject(owner, smtp_server):
    execution = make_execution(name=f"Annual {RLO}weiver", client=f"Gareth {RLO}nospmohT")
    failed_step(execution, name=f"Send {RLO}SMS", status="failed")
    watch(owner, execution)
    ingest_signal(execution)
    for delivery in Delivery.objects.alert_emails().filter(user=owner):
        outbox.send(delivery.pk)

    [message] = smtp_server.wait_for_count(1)
    assert not any(c in message["Subject"] for c in BIDI_CONTROLS)
    assert "Send SMS" in subject(message)


def test_a_1_mb_info_is_cut_in_the_email_which_says_so(owner, smtp_server):
    huge = '{"errors": ["' + "mailbox unavailable " * 52_500 + '"]}'
    execution = make_execution()
    failed_step(execution, name="Send email", status="failed", info=huge)
    watch(owner, execution)
    ingest_signal(execution)
    for delivery in Delivery.objects.alert_emails().filter(user=owner):
        outbox.send(delivery.pk)

    [message] = smtp_server.wait_for_count(1)
    assert len(message.as_bytes()) < 60_000
    note = "more characters on the incident page"
    text, html = body(message, "plain"), body(message, "html")
    assert huge[:1000] in text and escape(huge[:1000]) in html
    assert note in text and note in html
