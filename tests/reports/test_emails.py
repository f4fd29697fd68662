"""Report emails: due Monday morning and on the 1st in each user's zone, sent once per period
through the product's outbox (channels.Delivery) to a real SMTP server (aiosmtpd), whatever
the number of beat runs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.profiles import profile_for
from channels import outbox
from channels.models import Delivery, DeliveryState, Topic
from reports import emails
from reports.models import ReportEmail
from tests.builders import make_execution
from tests.fixtures.smtp import body, subject

pytestmark = pytest.mark.django_db

SYDNEY, LONDON = ZoneInfo("Australia/Sydney"), ZoneInfo("Europe/London")


@pytest.fixture
def send_due(django_capture_on_commit_callbacks):
    """The beat task's work at `now`, its outbox rows sent as a worker would, on commit."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return emails.send_due(now, enqueue=lambda ids: [outbox.send(pk) for pk in ids])

    return run


def opt_in(user, zone, weekly=False, monthly=False):
    profile = profile_for(user)
    profile.time_zone, profile.weekly_report, profile.monthly_report = zone, weekly, monthly
    profile.save()


def test_the_week_goes_out_once_on_each_users_monday_morning(smtp_server, owner, other_user, outsider, settings, send_due):
    settings.REPORT_EMAIL_HOUR = 7
    opt_in(owner, "Australia/Sydney", weekly=True)
    opt_in(other_user, "Europe/London", weekly=True)
    # outsider did not opt in.
    make_execution(name="Welcome pack", status="completed", is_finished=True,
                   remote_created_at=datetime(2026, 12, 2, 12, tzinfo=LONDON))

    assert send_due(datetime(2026, 12, 7, 6, 59, tzinfo=SYDNEY)) == 0  # before 07:00 in Sydney
    assert send_due(datetime(2026, 12, 7, 7, 1, tzinfo=SYDNEY)) == 1  # still Sunday in London
    [message] = smtp_server.wait_for_count(1)
    assert message["To"] == owner.email
    assert subject(message) == "Outcome report, week 49 of 2026: 30 Nov to 06 Dec 2026: 1 started, 0 failed"
    assert "Welcome pack" in body(message, "plain") and "Welcome pack" in body(message, "html")
    assert "/reports/report.pdf?period=week&end=2026-12-06" in body(message, "plain")

    # Beat again, a restart, a second beat: nothing more for Sydney; London's morning comes.
    for hour in (8, 9):
        assert send_due(datetime(2026, 12, 7, hour, tzinfo=SYDNEY)) == 0
    assert send_due(datetime(2026, 12, 7, 7, 5, tzinfo=LONDON)) == 1
    assert send_due(datetime(2026, 12, 7, 12, tzinfo=LONDON)) == 0
    assert [m["To"] for m in smtp_server.wait_for_count(2)] == [owner.email, other_user.email]
    assert ReportEmail.objects.filter(delivery__state=DeliveryState.SENT).count() == 2


def test_the_month_goes_out_on_the_first(smtp_server, owner, send_due):
    opt_in(owner, "Europe/London", monthly=True)
    assert send_due(datetime(2026, 11, 30, 9, tzinfo=LONDON)) == 0
    assert send_due(datetime(2026, 12, 1, 7, 30, tzinfo=LONDON)) == 1
    assert send_due(datetime(2026, 12, 1, 8, tzinfo=LONDON)) == 0
    [message] = smtp_server.wait_for_count(1)
    assert subject(message).startswith("Outcome report, November 2026: ")


def test_each_email_is_one_outbox_row_linked_to_its_period(smtp_server, owner, send_due):
    opt_in(owner, "Europe/London", weekly=True, monthly=True)
    # Tuesday 1 December: November is due, and last week still (its Monday was yesterday).
    assert send_due(datetime(2026, 12, 1, 7, 5, tzinfo=LONDON)) == 2
    assert send_due(datetime(2026, 12, 7, 7, 5, tzinfo=LONDON)) == 1
    rows = {(r.period, str(r.start)): r.delivery for r in ReportEmail.objects.select_related("delivery")}
    assert set(rows) == {("month", "2026-11-01"), ("week", "2026-11-23"), ("week", "2026-11-30")}
    assert {(d.topic, d.address, d.state) for d in rows.values()} == {(Topic.NOTICE, owner.email, DeliveryState.SENT)}
    assert Delivery.objects.count() == 3 and len(smtp_server.wait_for_count(3)) == 3


def test_opting_in_mid_week_waits_for_the_next_monday(smtp_server, owner, send_due):
    opt_in(owner, "Europe/London", weekly=True)
    assert send_due(datetime(2026, 12, 9, 10, tzinfo=LONDON)) == 0
    assert not ReportEmail.objects.exists()
