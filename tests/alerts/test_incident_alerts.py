"""Alerts per incident (alerts/incident_alerts.py): one per subscriber, folded, reminded, quiet."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import incident_alerts
from channels import outbox
from alerts.models import Alert, AlertEvent
from channels.models import Delivery, DeliveryState
from executions.failures import detect_failures
from incidents import grouping, services
from incidents.models import Incident

from tests.builders import failed_step, make_execution, watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(settings):
    settings.INCIDENT_ALERT_WINDOW_SECONDS = 30
    settings.INCIDENT_REMINDER_MINUTES = 60
    return settings


def fail(user, now, step="Send SMS", client="Gareth Thompson"):
    """A watched execution failing with the usual cause, grouped at `now`."""
    execution = make_execution(client=client)
    failed_step(execution, name=step)
    if user is not None:
        watch(user, execution)
    grouping.record(execution, detect_failures(execution.status, list(execution.steps.all())), now=now)
    return execution


def sent(now):
    return [outbox.send(d.pk, now=now) for d in Delivery.objects.alert_emails().order_by("pk")]


def test_a_burst_folds_into_one_alert_per_subscriber_sent_when_the_window_ends(owner, other_user, window, smtp_server):
    t0 = timezone.now()
    for i in range(10):
        fail(owner, t0 + timedelta(seconds=i))
    fail(other_user, t0 + timedelta(seconds=12))
    assert Alert.objects.count() == 1
    assert sorted(Delivery.objects.alert_emails().values_list("user__username", flat=True)) == ["other", "owner"]
    # Not before the window ends: more occurrences may still fold in.
    assert sent(t0 + timedelta(seconds=29)) == [None, None]
    assert sent(t0 + timedelta(seconds=30)) == [DeliveryState.SENT, DeliveryState.SENT]
    owner_mail = next(m for m in smtp_server.received() if m["To"] == "owner@example.com")
    assert "(11 executions)" in owner_mail["Subject"]
    assert "Your executions (10)" in owner_mail.get_body(("plain",)).get_content()


def test_a_watcher_first_affected_after_the_window_gets_an_alert_of_their_own(owner, other_user, window):
    t0 = timezone.now()
    fail(owner, t0)
    fail(owner, t0 + timedelta(minutes=5))  # already told: nothing new
    fail(other_user, t0 + timedelta(minutes=6))
    assert list(Alert.objects.order_by("pk").values_list("kind", flat=True)) == ["opened", "opened"]
    assert sorted(Delivery.objects.alert_emails().values_list("user__username", flat=True)) == ["other", "owner"]


def test_reminders_come_at_most_hourly_and_only_after_new_occurrences(owner, window):
    t0 = timezone.now()
    fail(owner, t0)
    assert incident_alerts.record_reminders(enqueue=lambda *a, **k: None, now=t0 + timedelta(hours=2)) == 0
    fail(owner, t0 + timedelta(minutes=10))
    later = t0 + timedelta(minutes=59)
    assert incident_alerts.record_reminders(enqueue=lambda *a, **k: None, now=later) == 0
    due = t0 + timedelta(minutes=61)
    assert incident_alerts.record_reminders(enqueue=lambda *a, **k: None, now=due) == 1
    assert incident_alerts.record_reminders(enqueue=lambda *a, **k: None, now=due + timedelta(minutes=5)) == 0
    reminder = Alert.objects.get(kind=AlertEvent.REMINDER)
    assert reminder.deliveries.get().user == owner


def test_acknowledged_snoozed_and_ignored_incidents_stay_quiet(owner, other_user, window):
    t0 = timezone.now()
    fail(owner, t0)
    incident = Incident.objects.get()
    for action in (services.acknowledge, services.ignore):
        action(incident, by=owner)
        fail(other_user, t0 + timedelta(minutes=5))
    services.snooze(incident, by=owner, duration=timedelta(hours=1))
    fail(other_user, t0 + timedelta(minutes=6))
    assert Delivery.objects.alert_emails().count() == 1
    services.acknowledge(incident, by=owner)
    fail(owner, t0 + timedelta(minutes=70))
    assert incident_alerts.record_reminders(enqueue=lambda *a, **k: None, now=t0 + timedelta(hours=3)) == 0


def test_an_alert_due_after_the_incident_was_acknowledged_is_cancelled(owner, window, smtp_server):
    t0 = timezone.now()
    fail(owner, t0)
    services.acknowledge(Incident.objects.get(), by=owner)
    assert sent(t0 + timedelta(seconds=31)) == [DeliveryState.CANCELLED]
    assert "acknowledged" in Delivery.objects.alert_emails().get().last_error
    assert smtp_server.received() == []


def test_a_regression_alerts_again(owner, window):
    t0 = timezone.now()
    fail(owner, t0)
    services.resolve(Incident.objects.get(), by=owner)
    fail(owner, t0 + timedelta(minutes=5))
    assert list(Alert.objects.order_by("pk").values_list("kind", flat=True)) == ["opened", "regressed"]
    assert Delivery.objects.alert_emails().filter(user=owner).count() == 2
