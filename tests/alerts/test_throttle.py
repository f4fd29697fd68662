"""The hourly cap: N alert emails per user per window, the rest in one digest at its end.

Time is passed in (`now=`) rather than waited for.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import history
from channels import outbox, tasks
from channels.models import Delivery, DeliveryState
from executions.failures import detect_failures
from incidents import grouping
from tests.fixtures.smtp import body, subject

from tests.builders import failed_step, make_execution, watch

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = timezone.now().replace(microsecond=0)

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)
        return self.now


def fail(execution, name, now):
    """A new failed step, recorded as the ingest would, at `now`; returns the new deliveries."""
    failed_step(execution, name=name, status="failed", messages=(f"{name} went wrong",))
    failures = detect_failures(execution.status, list(execution.steps.all()))
    history.record_failures(execution, failures, now=now)
    grouping.record(execution, failures, now=now)
    return list(Delivery.objects.alert_emails().filter(created_at=now))


def send_all(deliveries, now):
    for delivery in deliveries:
        outbox.send(delivery.pk, now=now)


def sweep(now):
    ids = []
    outbox.sweep(ids.extend, now=now)
    digests = set(Delivery.objects.digests().filter(pk__in=ids).values_list("pk", flat=True))
    return {"deliveries": [pk for pk in ids if pk not in digests], "digests": [pk for pk in ids if pk in digests]}


def test_thirty_failures_in_an_hour_give_twenty_emails_and_one_digest_of_the_other_ten(owner, smtp_server):
    clock = Clock()
    start = clock.now
    execution = make_execution(name="Quarterly review")
    watch(owner, execution)

    for i in range(1, 31):
        send_all(fail(execution, f"Step {i:02d}", clock.now), clock.now)
        clock.advance(minutes=1, seconds=50)  # 30 failures inside 55 minutes

    alerts = smtp_server.received()
    assert len(alerts) == 20
    assert [subject(m).split(": ", 1)[1] for m in alerts] == [
        f"Step {i:02d} — Step {i:02d} went wrong (1 execution)" for i in range(1, 21)
    ]
    held = Delivery.objects.alert_emails().filter(user=owner, state=DeliveryState.HELD)
    assert sorted(d.alert.incident.step_name for d in held) == [f"Step {i:02d}" for i in range(21, 31)]

    # Not before the window's end...
    assert sweep(start + timedelta(minutes=59, seconds=59))["digests"] == []
    # ...and at its end, exactly one digest.
    end = start + timedelta(hours=1)
    queued = sweep(end)
    assert len(queued["digests"]) == 1
    assert outbox.send(queued["digests"][0], now=end) == DeliveryState.SENT
    assert outbox.send(queued["digests"][0], now=end) is None

    received = smtp_server.wait_for_count(21)
    assert len(received) == 21
    digest = received[-1]
    assert subject(digest).startswith("[Plannr] 10 more failures held back")
    text, html = body(digest, "plain"), body(digest, "html")
    for i in range(1, 31):
        listed = f"Step {i:02d}" in text and f"Step {i:02d} went wrong" in html
        assert listed == (i > 20), f"Step {i:02d} listed={listed}"
    assert "You received 20 alert emails" in text
    assert len({m["Message-ID"] for m in received}) == 21

    assert not Delivery.objects.alert_emails().filter(state=DeliveryState.HELD).exists()
    assert Delivery.objects.alert_emails().filter(user=owner, state=DeliveryState.SENT).count() == 30
    assert Delivery.objects.alert_emails().filter(user=owner, digest__isnull=False, sent_at=end).count() == 10
    assert sweep(end + timedelta(hours=3))["digests"] == []


def test_after_the_window_the_next_alert_is_sent_at_once_and_opens_a_new_window(owner, smtp_server, settings):
    settings.ALERT_EMAILS_PER_HOUR = 2
    clock = Clock()
    execution = make_execution()
    watch(owner, execution)
    decisions = [fail(execution, f"S{i}", clock.advance(minutes=10))[0].state for i in range(3)]
    assert decisions == [DeliveryState.PENDING, DeliveryState.PENDING, DeliveryState.HELD]
    later = fail(execution, "S3", clock.advance(minutes=55))  # 65 min after the first
    assert [d.state for d in later] == [DeliveryState.PENDING]
    assert later[0].window_id != Delivery.objects.alert_emails().get(alert__incident__step_name="S0").window_id


def test_the_cap_is_per_user(owner, other_user, smtp_server, settings):
    settings.ALERT_EMAILS_PER_HOUR = 1
    clock = Clock()
    first, second = make_execution(), make_execution()
    watch(owner, first)
    watch(owner, second)
    watch(other_user, second)
    fail(first, "A", clock.now)
    new = fail(second, "B", clock.advance(minutes=1))
    assert {(d.user.username, d.state) for d in new} == {("owner", "held"), ("other", "pending")}


def test_an_alert_recorded_after_its_digest_was_claimed_is_not_lost(owner, smtp_server, settings):
    """A sweeper whose clock runs ahead claims the digest early: later alerts start afresh."""
    settings.ALERT_EMAILS_PER_HOUR = 1
    clock = Clock()
    execution = make_execution()
    watch(owner, execution)
    fail(execution, "A", clock.now)
    [held] = fail(execution, "B", clock.advance(minutes=1))
    digest = Delivery.objects.digests().get()
    assert outbox.send(digest.pk, now=digest.next_attempt_at) == DeliveryState.SENT
    [late] = fail(execution, "C", clock.advance(minutes=1))
    assert late.state == DeliveryState.PENDING and late.digest_id is None
    held.refresh_from_db()
    assert held.state == DeliveryState.SENT


def test_a_digest_retries_through_an_outage_and_fails_its_deliveries_visibly_at_the_end(
    owner, smtp_server, settings
):
    settings.ALERT_EMAILS_PER_HOUR = 1
    settings.ALERT_MAX_ATTEMPTS = 2
    clock = Clock()
    execution = make_execution()
    watch(owner, execution)
    fail(execution, "A", clock.now)
    fail(execution, "B", clock.advance(minutes=1))
    digest = Delivery.objects.digests().get()
    smtp_server.stop()
    now = digest.next_attempt_at
    assert outbox.send(digest.pk, now=now) == DeliveryState.RETRYING
    assert Delivery.objects.alert_emails().get(alert__incident__step_name="B").state == DeliveryState.HELD
    assert (
        outbox.send(digest.pk, now=now + timedelta(hours=1)) == DeliveryState.FAILED
    )
    failed = Delivery.objects.alert_emails().get(alert__incident__step_name="B")
    assert failed.state == DeliveryState.FAILED
    assert failed.last_error.startswith("The digest listing it could not be sent: Could not reach")
    # "Send again" on the delivery sends the whole digest again.
    smtp_server.start()
    assert outbox.retry_failed(failed, tasks.enqueue_deliveries)
    assert Delivery.objects.alert_emails().get(pk=failed.pk).state == DeliveryState.HELD
    assert outbox.send(digest.pk) == DeliveryState.SENT
    assert Delivery.objects.alert_emails().get(pk=failed.pk).state == DeliveryState.SENT
    assert len(smtp_server.received()) == 1
