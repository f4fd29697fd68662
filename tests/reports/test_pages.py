"""The report page, its downloads and the email choice, through the test client."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.profiles import profile_for
from reports import formats
from tests.builders import make_execution

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_rows_chart_data_and_download_links(client, owner):
    execution = make_execution(name="Welcome pack", status="completed", is_finished=True,
                               remote_created_at=datetime(2026, 12, 1, 12, tzinfo=UTC))
    client.force_login(owner)
    response = client.get(reverse("reports:page"), {"period": "week", "end": "2026-11-30"})
    assert response.status_code == 200
    page = response.content.decode()
    # Each blueprint links to its page (within its connection).
    assert f'href="/blueprints/{execution.connection_id}/Welcome%20pack"><bdi>Welcome pack</bdi></a>' in page
    assert 'id="report-chart"' in page and 'data-days="2026-11-30,' in page
    assert 'href="/reports/report.csv?period=week&amp;end=2026-12-06"' in page
    assert "Outcome report: week 49 of 2026" in page


def test_the_csv_download_is_the_commands_csv(client, owner):
    client.force_login(owner)
    response = client.get(reverse("reports:csv"), {"period": "month", "end": "2026-11-15"})
    assert response["Content-Disposition"] == 'attachment; filename="outcome-report-month-2026-11-01.csv"'
    assert response.content.decode().splitlines()[0] == ",".join(formats.CSV_COLUMNS)


def test_the_pdf_download_is_a_pdf(client, owner):
    client.force_login(owner)
    response = client.get(reverse("reports:pdf"), {"period": "week"})
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_a_bad_period_or_end_is_a_clear_400(client, owner):
    client.force_login(owner)
    assert "week or a month" in client.get(reverse("reports:page"), {"period": "year"}).content.decode()
    response = client.get(reverse("reports:page"), {"end": "30/11/2026"})
    assert response.status_code == 400 and "2026-11-30" in response.content.decode()


def test_the_email_choice_is_saved_on_the_profile(client, owner):
    client.force_login(owner)
    client.post(reverse("reports:emails"), {"weekly_report": "on"})
    profile = profile_for(owner)
    assert (profile.weekly_report, profile.monthly_report) == (True, False)
    client.post(reverse("reports:emails"), {"monthly_report": "on"})
    profile.refresh_from_db()
    assert (profile.weekly_report, profile.monthly_report) == (False, True)


def test_a_blueprint_name_a_spreadsheet_would_run_is_quoted_in_the_csv(client, owner):
    make_execution(name='=HYPERLINK("http://evil.example","x")', status="completed", is_finished=True,
                   remote_created_at=datetime(2026, 12, 1, 12, tzinfo=UTC))
    client.force_login(owner)
    lines = client.get(reverse("reports:csv"), {"period": "week", "end": "2026-12-01"}).content.decode().splitlines()
    assert lines[1].startswith('"\'=HYPERLINK(""http://evil.example"",""x"")",default,1,1,0,0,100.0,')
