"""Exact report rows from a known simulator history, identical after retention clears and prunes."""

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command

from executions.models import Execution, Snapshot, Step
from incidents.models import Occurrence
from monitors import personal_data, retention
from monitors.models import BlueprintDay
from reports import formats
from reports.build import build
from tests.reports.history import EXPECTED_CSV, REVIEW, WELCOME, play_week

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def report_csv(period, *extra):
    out = StringIO()
    call_command("report", "--period", "week", "--end", period.end.isoformat(), *extra, stdout=out)
    return out.getvalue()


def test_a_known_week_gives_exact_rows_and_the_same_rows_after_retention(simulator, owner, settings):
    period = play_week(simulator, owner)
    assert report_csv(period) == EXPECTED_CSV
    report = build(period)
    welcome = next(r for r in report.rows if r.blueprint == WELCOME)
    # Worst times: the discovery that opened the incident ran a fraction of a second after 10:00.
    worst = (welcome.mtta_worst_minutes, welcome.mttr_worst_minutes, welcome.longest_broken_minutes)
    assert worst == pytest.approx((30, 120, 120), abs=0.05)
    before = formats.as_html(report)

    # Personal data goes first: the clients, info texts and payloads, not the counts.
    settings.RETENTION_DAYS, settings.PERSONAL_DATA_RETENTION_DAYS = 30, 1
    assert personal_data.clear() == 7  # every finished execution of the week
    assert not Execution.objects.filter(is_finished=True).exclude(account_name="").exists()
    assert not Step.objects.exclude(info="").exists()
    assert not Snapshot.objects.exclude(raw_payload="").exists()
    assert not Occurrence.objects.exclude(client_name="").exists()
    assert set(Step.objects.values_list("name", flat=True)) >= {"Send SMS", "Create client folder"}
    assert report_csv(period) == EXPECTED_CSV
    assert personal_data.clear() == 0

    # Then the executions themselves: only the one still running stays.
    settings.RETENTION_DAYS = 1
    assert retention.prune() == 7
    assert list(Execution.objects.values_list("status", flat=True)) == ["in_progress"]
    assert BlueprintDay.objects.filter(blueprint_name=REVIEW).get().executions == 2
    assert report_csv(period) == EXPECTED_CSV
    assert formats.as_html(build(period)) == before


def test_the_pdf_opens_and_names_every_blueprint(simulator, owner, tmp_path):
    period = play_week(simulator, owner)
    path = tmp_path / "week.pdf"
    call_command("report", "--period", "week", "--end", period.end.isoformat(), "--format", "pdf",
                 "--out", str(path), stdout=StringIO(), stderr=StringIO())
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Outcome report: week" in text
    assert REVIEW in text and "Send client welcome pack" in text
    assert "60.0" in text and "100.0" in text
