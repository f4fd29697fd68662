"""The audit log page (/audit/) and its CSV export: Admins only (accounts/rules.py)."""

import csv
import json
from datetime import datetime, time
from datetime import timezone as dt_timezone

from django import forms
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ui.htmx import login_required

from .models import AuditEvent

PAGE_SIZE = 100


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Who")
    action = forms.CharField(required=False, max_length=64, label="Action")
    target = forms.CharField(required=False, max_length=255, label="What")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, "That value cannot be searched for.")
        return data

    def events(self):
        events = AuditEvent.objects.all()
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["actor"]:
            events = events.filter(actor_name__iexact=data["actor"])
        if data["action"]:
            events = events.filter(action__istartswith=data["action"])
        if data["target"]:
            events = events.filter(target__icontains=data["target"])
        zone = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(at__gte=datetime.combine(data["since"], time.min, tzinfo=zone))
        if data["until"]:
            events = events.filter(at__lte=datetime.combine(data["until"], time.max, tzinfo=zone))
        return events


@require_GET
@login_required
def events(request):
    form = AuditFilterForm(request.GET or None)
    page = Paginator(form.events() if form.is_bound else AuditEvent.objects.all(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/events.html", context, status=400 if form.is_bound and form.errors else 200)


class _Echo:
    def write(self, value):
        return value


@require_GET
@login_required
def export(request):
    form = AuditFilterForm(request.GET or None)
    rows = form.events() if form.is_bound else AuditEvent.objects.all()
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(["time (UTC)", "who", "IP address", "action", "what", "before", "after"])
        for e in rows.iterator(chunk_size=2000):
            yield writer.writerow([
                e.at.astimezone(dt_timezone.utc).isoformat(),
                _safe(e.actor_name), e.ip or "", e.action, _safe(e.target),
                "" if e.before is None else json.dumps(e.before, sort_keys=True),
                "" if e.after is None else json.dumps(e.after, sort_keys=True),
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


def _safe(text):
    # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
    return f"'{text}" if text and text[0] in "=+-@\t\r" else text
