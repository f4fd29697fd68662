"""The incidents pages in the system Chromium: open from the list, acknowledge, counts update live."""

import pytest

from accounts import roles
from executions.models import Watch
from incidents.models import Incident, Status
from tests.fixtures.users import PASSWORD

from .test_grouping import failing

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAND = 15_000  # ms: Playwright's expect() deadline


def watched_failure(owner, **kwargs):
    execution = failing(**kwargs)
    Watch.objects.create(user=owner, execution=execution)
    return execution


def test_open_an_incident_acknowledge_it_and_watch_the_counts_grow_live(
    transactional_db, browser, live_server, owner, settings
):
    from playwright.sync_api import expect

    settings.UI_REFRESH_SECONDS = 1
    roles.assign_role(owner, roles.OPERATOR)  # acknowledging is triage
    watched_failure(owner, client="Gareth <Thompson>")
    incident = Incident.objects.get()

    page = browser.page
    page.goto(f"{live_server.url}/incidents/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    row = page.locator(f"#incident-{incident.pk}")
    expect(row).to_contain_text("Send SMS: the account_uuid field is required")
    expect(row.locator(".sparkline canvas").first).to_be_attached(timeout=LAND)  # uPlot drew it
    row.locator("a.incident-title").click()

    expect(page.locator("#incident-heading")).to_contain_text("Send SMS: the account_uuid field is required")
    expect(page.locator("#incident-chart canvas").first).to_be_attached(timeout=LAND)
    page.evaluate("window.__noReload = 1")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#incident-status")).to_have_text("Acknowledged")
    assert Incident.objects.get().status == Status.ACKNOWLEDGED
    browser.screenshot("incident-acknowledged")

    # More executions fail the same way: the page counts them without a reload.
    for n in range(3):
        watched_failure(owner, client=f"Client {n}")
    expect(page.locator("#incident-occurrences")).to_have_text("4", timeout=LAND)
    expect(page.locator("#incident-clients")).to_have_text("4")
    rows = page.locator("#execution-rows .watch-row")
    expect(rows).to_have_count(4, timeout=LAND)
    expect(rows.get_by_text("Gareth <Thompson>")).to_be_visible()  # escaped, shown as text
    assert page.evaluate("window.__noReload") == 1
    browser.screenshot("incident-live")
    assert browser.errors == []
