"""The blueprint page in the system Chromium: the run × step matrix and the chart's expected band."""

import pytest
from django.urls import reverse

from tests.expectations.builders import BLUEPRINT, blueprint_monitor, volume
from tests.fixtures.users import PASSWORD

from .test_blueprint_page import run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAND = 15_000  # ms: Playwright's expect() deadline


def test_the_blueprint_page_shows_the_matrix_and_the_band(transactional_db, browser, live_server, owner):
    from playwright.sync_api import expect

    blueprint_monitor()
    run(owner, 20, [("Create task", "completed", {}), ("Send SMS", "failed", {})])
    run(owner, 10, [("Create task", "completed", {}), ("Send SMS", "completed", {})])
    volume(at_least=3, within=60)

    page = browser.page
    page.goto(live_server.url + reverse("expectations:blueprint_by_name", args=[BLUEPRINT]))
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#blueprint-heading")).to_contain_text(BLUEPRINT)

    matrix = page.locator("#run-step-matrix")
    expect(matrix.locator("td.cell")).to_have_count(4)
    failed = matrix.locator("td.cell-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("title", "Send SMS: failed")
    colour = failed.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour != matrix.locator("td.cell-completed").first.evaluate("el => getComputedStyle(el).backgroundColor")

    chart = page.locator("#blueprint-chart")
    expect(chart.locator("canvas").first).to_be_attached(timeout=LAND)  # uPlot drew it
    expect(chart.locator(".u-legend")).to_contain_text("Expected at least")
    assert "expected at least 3.0 per hour" in chart.get_attribute("aria-label")
    browser.screenshot("blueprint-page")
