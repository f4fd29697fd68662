"""In Chromium: the overview's "Failing now" leads to the full list of what is failing."""

import re

import pytest
from django.utils import timezone

from tests.builders import failed_step, ingest_signal, make_execution, watch
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser]


def test_failing_now_says_how_many_it_shows_and_links_to_the_open_incidents(transactional_db, browser, live_server, owner):
    from playwright.sync_api import expect

    now = timezone.now()
    for n in range(12):  # more than the overview lists; three causes, so three incidents
        execution = make_execution(status="failed", is_failing=True, remote_updated_at=now,
                                   failure_message="Send SMS: boom")
        failed_step(execution, name=("Send SMS", "Send email", "Create task")[n % 3])
        watch(owner, execution)
        ingest_signal(execution)

    page = browser.page
    sign_in(page, live_server, owner, "/overview/")
    expect(page).to_have_url(re.compile(r"/overview/$"))
    section = page.locator("#failing-now")
    expect(section.locator("h2 .count")).to_have_text("12")
    expect(section.locator(".overview-list li")).to_have_count(10)
    expect(page.locator("#failing-all")).to_contain_text("Showing the 10 most recent of 12.")
    expect(page.locator("#failing-watchlist-link")).to_have_attribute("href", "/?status=failing")
    link = page.locator("#open-incidents-link")
    expect(link).to_have_text("All of it, by cause: 3 open incidents")
    browser.screenshot("overview")
    link.click()
    expect(page).to_have_url(re.compile(r"/incidents/\?status=open$"))
    expect(page.locator("tr.incident-row")).to_have_count(3)
    expect(page.locator("tr.incident-row[data-status=open]")).to_have_count(3)
    page.go_back()
    page.click("#failing-watchlist-link")  # the executions themselves, filtered to failing
    expect(page).to_have_url(re.compile(r"/\?status=failing$"))
    expect(page.locator("tr.watch-row")).to_have_count(12)
    assert browser.errors == [], browser.errors
