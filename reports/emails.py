"""Outcome report emails: the message, and the beat task's choice of who is due.

A user who opted in (`Profile.weekly_report` / `monthly_report`) is due the last full week
from Monday REPORT_EMAIL_HOUR in their own time zone, and the last full month from the 1st
at that hour, for two days (a beat that was down on the morning catches up; someone who
opts in mid-week waits for the next Monday). `enqueue` writes one `ReportEmail` row per
user, kind and period under a unique constraint, so a restarted or doubled beat never
sends a period twice; the row is marked sent once the mail server took the message, and
rows not yet sent are retried by the next beat run.
"""

import logging
import smtplib
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from channels.messages import Notification
from executions.text import strip_bidi

from . import periods
from .build import build
from .models import ReportEmail

logger = logging.getLogger("reports")

CATCH_UP = timedelta(days=2)
MAX_ATTEMPTS = 8


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
        kind="outcome_report",
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


def enqueue(user, period, now):
    """Record that `user` gets `period`'s report; False when that was already recorded."""
    try:
        with transaction.atomic():
            ReportEmail.objects.create(user=user, period=period.kind, start=period.start, created_at=now)
    except IntegrityError:
        return False
    return True


def send_due(now=None):
    """What beat runs: record what is due, then send every unsent row. Returns how many went."""
    now = now or timezone.now()
    profiles = Profile.objects.filter(user__is_active=True, user__email__gt="").filter(
        Q(weekly_report=True) | Q(monthly_report=True)
    ).select_related("user")
    for profile in profiles:
        for period in due_periods(profile, now):
            enqueue(profile.user, period, now)
    sent = 0
    reports = {}
    for pk in ReportEmail.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True):
        sent += send_one(pk, reports, now)
    return sent


def send_one(pk, reports, now):
    """Send one recorded report email; the row lock keeps a second beat from sending it too."""
    with transaction.atomic():
        row = (ReportEmail.objects.select_for_update(skip_locked=True)
               .filter(pk=pk, sent_at__isnull=True).select_related("user").first())
        if row is None:
            return 0
        period = periods.containing(row.period, row.start)
        if period not in reports:
            reports[period] = message(build(period, now))
        row.attempts += 1
        error = deliver(reports[period], row.user.email, f"report-{row.pk}")
        if error:
            row.last_error = error[:500]
            logger.warning("report email %s not sent: %s", row.pk, error)
        else:
            row.sent_at = timezone.now()
            row.last_error = ""
        row.save()
    return 0 if error else 1


def deliver(notification, address, key):
    """One attempt by SMTP; returns an error text, or "" when the server took it."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    mail = EmailMultiAlternatives(
        subject=notification.subject[:200], body=notification.text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address], headers={"Message-ID": f"<{key}@{host}>"},
    )
    mail.attach_alternative(notification.html, "text/html")
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""

