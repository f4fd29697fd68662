"""The report page in Chromium on a phone: the chart is drawn, the downloads arrive, the
email choice sticks, axe-core finds nothing serious and nothing scrolls sideways."""

import subprocess
from urllib.parse import quote

import pytest
from django.utils import timezone

from accounts.profiles import profile_for
from tests.builders import make_execution
from tests.dashboard.test_browser_every_page import PHONE, WIDTH
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_report_page_on_a_phone(transactional_db, browser, live_server, owner, tmp_path):
    for status, failing in (("completed", False), ("completed", False), ("failed", True)):
        make_execution(name="Send client welcome pack", status=status, is_finished=True, is_failing=failing)
    today = timezone.localdate()
    page = browser.page
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, owner, next_url=quote(f"/reports/?period=week&end={today}"))
    page.wait_for_selector("#report-chart canvas")

    assert page.get_attribute("#report-chart", "aria-label").endswith(": 3 started, 1 failed")
    assert page.inner_text("#report-table tbody tr td:nth-child(9)") == "66.7%"
    assert page.evaluate(WIDTH, PHONE["width"])["width"] <= PHONE["width"]
    assert browser.accessibility_findings() == []

    with page.expect_download() as csv_download:
        page.click("#download-csv")
    lines = open(csv_download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[1].startswith("Send client welcome pack,default,3,3,1,0,66.7,")
    with page.expect_download() as pdf_download:
        page.click("#download-pdf")
    text = subprocess.run(["pdftotext", pdf_download.value.path(), "-"], capture_output=True, text=True).stdout
    assert "Send client welcome pack" in text

    page.check("#weekly-report")
    page.click("#report-emails button[type=submit]")
    page.wait_for_selector("text=You will get the weekly report by email.")
    assert page.is_checked("#weekly-report") and profile_for(owner).weekly_report
