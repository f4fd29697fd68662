"""Report emails: due Monday morning and on the 1st in each user's zone, sent once per period
through a real SMTP server (aiosmtpd), whatever the number of beat runs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.profiles import profile_for
from reports import emails
from reports.models import ReportEmail
from tests.builders import make_execution
from tests.fixtures.smtp import body, subject

pytestmark = pytest.mark.django_db

SYDNEY, LONDON = ZoneInfo("Australia/Sydney"), ZoneInfo("Europe/London")


def opt_in(user, zone, weekly=False, monthly=False):
    profile = profile_for(user)
    profile.time_zone, profile.weekly_report, profile.monthly_report = zone, weekly, monthly
    profile.save()


def test_the_week_goes_out_once_on_each_users_monday_morning(smtp_server, owner, other_user, outsider, settings):
    settings.REPORT_EMAIL_HOUR = 7
    opt_in(owner, "Australia/Sydney", weekly=True)
    opt_in(other_user, "Europe/London", weekly=True)
    # outsider did not opt in.
    make_execution(name="Welcome pack", status="completed", is_finished=True,
                   remote_created_at=datetime(2026, 12, 2, 12, tzinfo=LONDON))

    assert emails.send_due(datetime(2026, 12, 7, 6, 59, tzinfo=SYDNEY)) == 0  # before 07:00 in Sydney
    assert emails.send_due(datetime(2026, 12, 7, 7, 1, tzinfo=SYDNEY)) == 1  # still Sunday in London
    [message] = smtp_server.wait_for_count(1)
    assert message["To"] == owner.email
    assert subject(message) == "Outcome report, week 49 of 2026: 30 Nov to 06 Dec 2026: 1 started, 0 failed"
    assert "Welcome pack" in body(message, "plain") and "Welcome pack" in body(message, "html")
    assert "/reports/report.pdf?period=week&end=2026-12-06" in body(message, "plain")

    # Beat again, a restart, a second beat: nothing more for Sydney; London's morning comes.
    for hour in (8, 9):
        assert emails.send_due(datetime(2026, 12, 7, hour, tzinfo=SYDNEY)) == 0
    assert emails.send_due(datetime(2026, 12, 7, 7, 5, tzinfo=LONDON)) == 1
    assert emails.send_due(datetime(2026, 12, 7, 12, tzinfo=LONDON)) == 0
    assert [m["To"] for m in smtp_server.wait_for_count(2)] == [owner.email, other_user.email]
    assert ReportEmail.objects.filter(sent_at__isnull=False).count() == 2


def test_the_month_goes_out_on_the_first(smtp_server, owner):
    opt_in(owner, "Europe/London", monthly=True)
    assert emails.send_due(datetime(2026, 11, 30, 9, tzinfo=LONDON)) == 0
    assert emails.send_due(datetime(2026, 12, 1, 7, 30, tzinfo=LONDON)) == 1
    assert emails.send_due(datetime(2026, 12, 1, 8, tzinfo=LONDON)) == 0
    [message] = smtp_server.wait_for_count(1)
    assert subject(message).startswith("Outcome report, November 2026: ")


def test_an_unreachable_mail_server_is_retried_by_the_next_run_and_sends_once(smtp_server, owner):
    opt_in(owner, "Europe/London", weekly=True)
    smtp_server.stop()
    assert emails.send_due(datetime(2026, 12, 7, 7, 5, tzinfo=LONDON)) == 0
    row = ReportEmail.objects.get()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    smtp_server.start()
    assert emails.send_due(datetime(2026, 12, 7, 7, 20, tzinfo=LONDON)) == 1
    assert emails.send_due(datetime(2026, 12, 7, 7, 35, tzinfo=LONDON)) == 0
    assert len(smtp_server.wait_for_count(1)) == 1


def test_opting_in_mid_week_waits_for_the_next_monday(smtp_server, owner):
    opt_in(owner, "Europe/London", weekly=True)
    assert emails.send_due(datetime(2026, 12, 9, 10, tzinfo=LONDON)) == 0
    assert not ReportEmail.objects.exists()
