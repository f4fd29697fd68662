"""In Chromium: create a monitor in the UI, see a new simulator execution appear on its
page, then fail, without a reload. Real worker and beat processes sweep and poll."""

import re

import pytest
from django.contrib.auth.models import Permission

from tests.fixtures.users import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAND = 30_000


def test_create_a_monitor_and_watch_a_new_execution_arrive_and_fail_live(
    transactional_db, browser, live_server, celery_processes, simulator, owner, settings
):
    from playwright.sync_api import expect

    settings.UI_REFRESH_SECONDS = 1
    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    owner.user_permissions.add(Permission.objects.get(codename="manage_monitors"))
    celery_processes.worker()
    celery_processes.beat(extra_env={"DISCOVERY_INTERVAL_SECONDS": "1"})
    simulator.create_execution(name="Annual review reminder", created_at="2026-01-05T10:00:00+00:00")

    page = browser.page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/overview/$"))
    expect(page.locator("h1#overview-heading")).to_have_text("Overview")

    page.click("nav >> text=Monitors")
    page.click("#new-monitor")
    page.fill("#id_name", "Everything, from now on")
    page.check("input[name=scope][value=everything]")
    page.click("#save-monitor")
    expect(page.locator("h1#monitor-heading")).to_have_text("Everything, from now on")
    expect(page.locator("#executions-empty")).to_be_visible()
    page.evaluate("window.__noReload = 1")
    browser.screenshot("01-monitor-created")

    new = simulator.create_execution(
        name="Send client welcome pack to newly created client",
        steps=[{"name": "Send SMS", "status": "completed"}],
        next_step={"name": "Send welcome email"},
    )["uuid"]
    row = page.locator(f'tr[data-uuid="{new}"]')
    expect(row.locator(".exec-name")).to_have_text("Send client welcome pack to newly created client", timeout=LAND)
    expect(row.locator(".col-status .badge").first).to_have_text("in progress")
    expect(page.locator("tr.watch-row")).to_have_count(1)  # the older one is not "from now on"
    browser.screenshot("02-found")

    simulator.drive(new, status="failed", update_steps={0: {"status": "failed", "info": "no phone number"}},
                    next_step=None)
    expect(row.locator(".col-status .badge").first).to_have_text("failed", timeout=LAND)
    expect(row.locator(".failure-text")).to_contain_text("no phone number")
    assert page.evaluate("window.__noReload") == 1, "the page was reloaded"
    browser.screenshot("03-failed")
    assert browser.errors == [], f"console errors (CSP violations?): {browser.errors}"
