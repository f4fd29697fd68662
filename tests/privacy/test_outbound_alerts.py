"""Every outbound alert path, with real receivers: no raw personal data ever leaves.

Hypothesis writes failure texts carrying each kind of UK personal data; a watched
execution of a named client fails with them, and the alert goes out as an incident
email, a digest (aiosmtpd), and to Teams, Slack and a signed
webhook (real HTTP receivers). Nothing received holds a raw value or the client's
full name; the chat and webhook bodies carry the initials and a link to the page.
"""

import itertools
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from alerts import history
from channels import outbox
from channels.models import Delivery, DeliveryState, Kind
from executions.failures import detect_failures
from incidents import grouping
from privacy.redaction import initials
from tests.builders import add_step, make_execution, watch
from tests.channels.builders import make_channel

from . import strategies
from .outbound import FIRST, LAST, assert_absent, email_texts, request_texts

pytestmark = pytest.mark.django_db

_examples = itertools.count(1)
names = st.builds(lambda f, l: f"{f} {l}", st.sampled_from(FIRST), st.sampled_from(LAST))


@pytest.fixture
def alert_settings(settings):
    settings.INCIDENT_ALERT_WINDOW_SECONDS = 0
    settings.ALERT_EMAILS_PER_HOUR = 1  # the second alert of a window goes into a digest
    settings.SITE_URL = "https://monitor.example.com"
    return settings


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=strategies.personal_texts(), client=names, n=st.integers(0, 10**9))
def test_no_raw_personal_data_reaches_email_teams_slack_or_webhook(
    owner, smtp_server, webhook_receiver, alert_settings, case, client, n
):
    text, values = case
    webhook_receiver.ok(202)
    if not owner.channels.exists():
        for kind in (Kind.TEAMS, Kind.SLACK, Kind.WEBHOOK):
            make_channel(owner, kind, webhook_receiver.url(f"/{kind}"))
    mails_before, requests_before = len(smtp_server.received()), len(webhook_receiver.requests())
    # A new hourly window for each example: its first alert is emailed, its second held.
    now = timezone.now().replace(microsecond=0) + timedelta(hours=2 * next(_examples))
    execution = make_execution(client=client)
    watch(owner, execution)
    # Two failures in one window: the first is emailed, the second held for the digest.
    for step in (f"Send SMS {n}", f"Create task {n}"):
        add_step(execution, step, "failed", info=json.dumps({"errors": [text]}), messages=(text,))
        failures = detect_failures(execution.status, list(execution.steps.all()))
        history.record_failures(execution, failures, now=now)
        grouping.record(execution, failures, now=now)

    # This example's own incident: hypothesis may draw the same n again, and examples share the database.
    first = Delivery.objects.alert_emails().filter(
        alert__incident__step_name=f"Send SMS {n}", alert__incident__occurrence_rows__execution=execution, user=owner
    ).distinct().get()
    assert outbox.send(first.pk, now=now) == DeliveryState.SENT  # the incident email
    digest = Delivery.objects.digests().filter(user=owner).order_by("-pk").first()
    assert outbox.send(digest.pk, now=digest.next_attempt_at) == DeliveryState.SENT
    rows = Delivery.objects.filter(channel__isnull=False, alert__incident__occurrence_rows__execution=execution,
                                   state=DeliveryState.PENDING).distinct()
    assert rows.count() >= 3
    for row in rows:
        assert outbox.send(row.pk, now=now + timedelta(minutes=1)) == DeliveryState.SENT

    mails = smtp_server.wait_for_count(mails_before + 2)[mails_before:]
    requests = webhook_receiver.wait_for_count(requests_before + 3)[requests_before:]
    assert_absent(email_texts(mails), [*values, client], "email")
    assert_absent(request_texts(requests), [*values, client], "Teams, Slack or webhook")
    [hook] = [r for r in requests if r.path == f"/{Kind.WEBHOOK}"][:1]
    [listed] = hook.json()["incident"]["executions"][:1]
    assert listed["client"] == initials(client) and listed["url"].endswith(f"/executions/{execution.uuid}/")
    assert any(initials(client) in t for t in email_texts(mails))
