"""The outcome report page, its CSV and PDF downloads, and the user's report-email choice."""

from datetime import date, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.profiles import profile_for
from audit import record
from dashboard.errors import BadInput
from dashboard.htmx import login_required

from . import formats, periods
from .build import build


def chosen_period(request):
    kind = request.GET.get("period") or "week"
    if kind not in periods.KINDS:
        raise BadInput("The period is a week or a month.")
    end = request.GET.get("end")
    if not end:
        return periods.last_full(kind)
    try:
        return periods.containing(kind, date.fromisoformat(end))
    except ValueError:
        raise BadInput("The end is a date such as 2026-11-30.") from None


def _query(period):
    return f"?period={period.kind}&end={period.end.isoformat()}"


@require_GET
@login_required
def page(request):
    period = chosen_period(request)
    report = build(period)
    before = periods.containing(period.kind, period.start - timedelta(days=1))
    after = periods.containing(period.kind, period.end + timedelta(days=1))
    profile = profile_for(request.user)
    context = {
        "report": report,
        "period": period,
        "previous_query": _query(before),
        "next_query": _query(after) if after.start <= periods.last_full(period.kind).end + timedelta(days=1) else "",
        "query": _query(period),
        "chart_days": [d.isoformat() for d, _, _ in report.daily],
        "chart_started": [s for _, s, _ in report.daily],
        "chart_failed": [f for _, _, f in report.daily],
        "profile": profile,
    }
    return render(request, "reports/page.html", context)


def _attachment(content, content_type, period, extension):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="outcome-report-{period.slug}.{extension}"'
    return response


@require_GET
@login_required
def download_csv(request):
    period = chosen_period(request)
    return _attachment(formats.as_csv(build(period)), "text/csv; charset=utf-8", period, "csv")


@require_GET
@login_required
def download_pdf(request):
    period = chosen_period(request)
    return _attachment(formats.as_pdf(build(period)), "application/pdf", period, "pdf")


@require_POST
@login_required
def emails(request):
    profile = profile_for(request.user)
    before = {"weekly_report": profile.weekly_report, "monthly_report": profile.monthly_report}
    profile.weekly_report = request.POST.get("weekly_report") == "on"
    profile.monthly_report = request.POST.get("monthly_report") == "on"
    after = {"weekly_report": profile.weekly_report, "monthly_report": profile.monthly_report}
    with transaction.atomic():
        profile.save(update_fields=["weekly_report", "monthly_report", "updated_at"])
        if before != after:
            record("profile.update", target=f"user:{request.user.get_username()}", before=before, after=after)
    chosen = [name for name, on in (("weekly", profile.weekly_report), ("monthly", profile.monthly_report)) if on]
    messages.success(request, f"You will get the {' and '.join(chosen)} report by email." if chosen
                     else "You will get no report emails.")
    return redirect("reports:page")
