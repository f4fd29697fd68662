"""Outcome report emails: the message, and the beat task's choice of who is due.

A user who opted in (`Profile.weekly_report` / `monthly_report`) is due the last full week
from Monday REPORT_EMAIL_HOUR in their own time zone, and the last full month from the 1st
at that hour, for two days (a beat that was down on the morning catches up; someone who
opts in mid-week waits for the next Monday). `queue` writes one `ReportEmail` row per
user, kind and period under a unique constraint, so a restarted or doubled beat never
sends a period twice, and in the same transaction the message as a rendered notice in the
product's one outbox (`channels.Delivery`), which claims, sends, retries and sweeps it.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from channels.messages import Notification
from channels.models import Delivery, Kind, Topic
from executions.text import strip_bidi

from . import periods
from .build import build
from .models import ReportEmail

CATCH_UP = timedelta(days=2)


def message(report):
    """The report as the product's one message type (channels.messages.Notification)."""
    query = f"?period={report.period.kind}&end={report.period.end.isoformat()}"
    context = {
        "report": report,
        "site_url": settings.SITE_URL,
        "report_url": f"{settings.SITE_URL}{reverse('reports:page')}{query}",
        "csv_url": f"{settings.SITE_URL}{reverse('reports:csv')}{query}",
        "pdf_url": f"{settings.SITE_URL}{reverse('reports:pdf')}{query}",
    }
    subject = " ".join(render_to_string("reports/email/subject.txt", context).split())
    return Notification(
        kind="report",
        event=report.period.kind,
        subject=strip_bidi(subject),
        text=strip_bidi(render_to_string("reports/email/report.txt", context)),
        html=strip_bidi(render_to_string("reports/email/report.html", context)),
        url=context["report_url"],
    )


def due_periods(profile, now):
    """The periods this user is due now, by their own clock: [] outside the catch-up window."""
    local = timezone.localtime(now, profile.zone)
    due = []
    for kind, wanted in (("week", profile.weekly_report), ("month", profile.monthly_report)):
        if not wanted:
            continue
        current = periods.containing(kind, local.date())
        opens = datetime.combine(current.start, time(settings.REPORT_EMAIL_HOUR), profile.zone)
        if opens <= now < opens + CATCH_UP:
            due.append(periods.containing(kind, current.start - timedelta(days=1)))
    return due


def queue(user, period, now, reports, enqueue):
    """Record `user`'s report of `period` and write its outbox row, once; False if already done.

    One transaction: the `ReportEmail` row (unique per user, kind and period) and the
    channels `Delivery` (a rendered notice to the user's address), queued on commit."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                sent = ReportEmail.objects.create(user=user, period=period.kind, start=period.start, created_at=now)
        except IntegrityError:
            return False
        if period not in reports:
            reports[period] = message(build(period, now))
        delivery = Delivery.objects.create(
            topic=Topic.NOTICE, kind=Kind.EMAIL, address=user.email, notice=reports[period].stored(),
            next_attempt_at=now, created_at=now,
        )
        sent.delivery = delivery
        sent.save(update_fields=["delivery"])
        if enqueue is not None:
            transaction.on_commit(lambda: enqueue([delivery.pk]), robust=True)
    return True


def send_due(now=None, enqueue=None):
    """What beat runs: queue every report email that is due. Returns how many were queued.

    `enqueue(ids)` queues the outbox rows (the beat task passes the channels task's);
    without it the outbox's sweeper sends them."""
    now = now or timezone.now()
    profiles = Profile.objects.filter(user__is_active=True, user__email__gt="").filter(
        Q(weekly_report=True) | Q(monthly_report=True)
    ).select_related("user")
    queued, reports = 0, {}
    for profile in profiles:
        for period in due_periods(profile, now):
            queued += queue(profile.user, period, now, reports, enqueue)
    return queued
