"""End to end in the system Chromium: log in, paste, watch a status change land live.

Everything is real: live_server, the Plannr simulator over HTTP, a Celery worker
and beat as subprocesses on Redis and the test database.
"""

import re

import pytest

from tests.fixtures.users import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Playwright's expect() polls with a deadline; this is that deadline (ms).
LAND = 30_000
DOC_INFO = '"[{errors : "the account_uuid field is required" }]"'


def test_paste_watch_and_see_a_failure_land_without_reload(
    transactional_db, browser, live_server, celery_processes, simulator, owner, settings
):
    from playwright.sync_api import expect

    # Fast cadences so the test takes seconds: pages refresh every second, the
    # worker polls running executions every second.
    settings.UI_REFRESH_SECONDS = 1
    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    celery_processes.worker()
    celery_processes.beat()

    welcome = simulator.create_execution(
        name="Send client welcome pack to newly created client",
        status="in_progress",
        steps=[{"name": "Create onboarding task"}, {"name": "Send SMS", "status": "in_progress"}],
        next_step={"name": "Send welcome email"},
    )["uuid"]
    review = simulator.create_execution(
        name="Annual review reminder", status="in_progress", steps=[{"name": "Create review case"}]
    )["uuid"]

    page = browser.page
    rows_statuses = []
    page.on("response", lambda r: "/watches/rows/" in r.url and rows_statuses.append(r.status))

    # 1. Log in.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    browser.screenshot("01-login")
    page.click("#login-form button[type=submit]")
    expect(page.locator("h1#watchlist-heading")).to_have_text("Watchlist")
    expect(page.locator("#watch-empty")).to_be_visible()
    page.evaluate("window.__noReload = 1")

    # 2. Paste three UUIDs, one invalid, and see the line error.
    page.fill("#id_uuids", f"{welcome}\nnot-a-valid-uuid\n{review}")
    page.fill("#id_label", "e2e batch")
    page.click("#add-form button[type=submit]")
    report = page.locator("#paste-report")
    expect(report).to_contain_text("Added 2 executions")
    expect(report.locator(".line-errors")).to_have_text("Line 2: not-a-valid-uuid is not a valid UUID")
    expect(page.locator("#id_uuids")).to_have_value("not-a-valid-uuid")
    browser.screenshot("02-paste-report")

    # 3. Two rows appear, fill in once polled, then a status change lands without a reload.
    rows = page.locator("tr.watch-row")
    expect(rows).to_have_count(2, timeout=LAND)
    welcome_row = page.locator(f'tr[data-uuid="{welcome}"]')
    review_row = page.locator(f'tr[data-uuid="{review}"]')
    expect(welcome_row.locator(".exec-name")).to_have_text(
        "Send client welcome pack to newly created client", timeout=LAND
    )
    expect(review_row.locator(".exec-name")).to_have_text("Annual review reminder", timeout=LAND)
    expect(welcome_row.locator(".col-status .badge").first).to_have_text("in progress")
    expect(welcome_row.locator(".col-progress")).to_contain_text("next: Send welcome email")
    browser.screenshot("03-rows")

    simulator.drive(
        welcome,
        status="failed",
        update_steps={1: {"status": "failed", "info": DOC_INFO}},
        next_step=None,
    )
    expect(welcome_row.locator(".col-status .badge").first).to_have_text("failed", timeout=LAND)
    expect(welcome_row.locator(".failure-text")).to_contain_text("the account_uuid field is required")
    expect(page.locator(".status-counts")).to_contain_text("Failing 1")
    expect(review_row.locator(".col-status .badge").first).to_have_text("in progress")
    assert page.evaluate("window.__noReload") == 1, "the page was reloaded"
    # Refreshes with nothing new were answered 204 (and swapped nothing).
    if 204 not in rows_statuses:
        with page.expect_response(lambda r: "/watches/rows/" in r.url and r.status == 204, timeout=LAND):
            pass
    browser.screenshot("04-status-changed")

    # 4. The execution page shows the failed step's message.
    welcome_row.locator(".exec-name").click()
    expect(page.locator("h1.exec-title")).to_have_text("Send client welcome pack to newly created client")
    failed_step = page.locator("li.step-failed")
    expect(failed_step).to_have_count(1)
    expect(failed_step.locator(".step-title strong")).to_have_text("Send SMS")
    expect(failed_step.locator(".step-messages")).to_have_text("the account_uuid field is required")
    failed_step.locator("details.raw-info summary").click()
    expect(failed_step.locator("details.raw-info pre")).to_have_text(DOC_INFO)
    # Finished: the worker polls once more to confirm, then the page stops refreshing.
    expect(page.locator("#refresh-stopped")).to_be_visible(timeout=LAND)
    expect(page.locator("#execution-poller")).to_have_count(0)
    browser.screenshot("05-execution")

    assert browser.errors == [], f"console errors (CSP violations?): {browser.errors}"


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/?next=/")  # the watchlist (login lands on the overview)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")


def test_search_filter_and_execution_actions_on_a_phone(
    transactional_db, browser, live_server, owner, redis_client, settings
):
    """The rest of the page's controls, in a phone-sized window, on rows made directly."""
    from playwright.sync_api import expect

    from tests.builders import add_step, watch
    from tests.dashboard.helpers import queued_tasks

    settings.UI_REFRESH_SECONDS = 1
    failing = watch(owner, label="urgent", name="Send client welcome pack", status="failed", is_failing=True,
                    failure_message="Send SMS: the account_uuid field is required")
    add_step(failing.execution, "Send SMS", "failed", position=0, info=DOC_INFO,
             messages=["the account_uuid field is required"], failure_kind="failed")
    watch(owner, name="Annual review reminder")

    page = browser.page
    page.set_viewport_size({"width": 390, "height": 844})
    browser.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, owner)
    expect(page.locator("tr.watch-row")).to_have_count(2)
    page.evaluate("window.__noReload = 1")

    # Refreshes follow the page's cadence, and slow down while the tab is hidden.
    assert page.evaluate("window.liveRefresh.intervalSeconds()") == 1
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    assert page.evaluate("window.liveRefresh.intervalSeconds()") == settings.UI_HIDDEN_REFRESH_SECONDS
    page.evaluate("delete document.hidden; document.dispatchEvent(new Event('visibilitychange'))")
    assert page.evaluate("window.liveRefresh.intervalSeconds()") == 1

    # Search narrows the rows and the address bar follows.
    page.fill("#search", "annual")
    expect(page.locator("tr.watch-row")).to_have_count(1)
    expect(page.locator("tr.watch-row .exec-name")).to_have_text("Annual review reminder")
    expect(page).to_have_url(re.compile(r"/\?q=annual$"))
    page.fill("#search", "")
    expect(page.locator("tr.watch-row")).to_have_count(2)

    # The "Failing" count filters by status.
    page.click(".status-counts a:has-text('Failing')")
    expect(page.locator("tr.watch-row")).to_have_count(1)
    expect(page.locator("tr.watch-row .exec-name")).to_have_text("Send client welcome pack")
    expect(page).to_have_url(re.compile(r"/\?status=failing$"))
    assert page.evaluate("window.__noReload") == 1
    # On a phone the label column gives way.
    expect(page.locator("td.col-label").first).to_be_hidden()
    browser.screenshot("01-watchlist-phone")

    page.click("tr.watch-row .exec-name")
    expect(page.locator("li.step-failed .step-messages")).to_have_text("the account_uuid field is required")

    # Copy the UUID.
    page.click(".copy-button")
    expect(page.locator(".copy-button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == str(failing.execution.uuid)

    # Edit the label: the form says so and the header follows without a reload.
    page.fill("#label-input", "very urgent")
    page.click("#label-form button[type=submit]")
    expect(page.locator("#label-form")).to_contain_text("Label saved.")
    expect(page.locator("#watch-label")).to_have_text("very urgent")

    # Poll now: queued on the real broker, and the page says so.
    page.click("#poll-now")
    expect(page.locator(".notice")).to_have_text("Poll requested: the result shows here within seconds.")
    assert queued_tasks(redis_client) == [("executions.tasks.poll_now", [[failing.execution_id]])]
    browser.screenshot("02-execution-phone")

    # Unwatch asks nothing and lands back on the watchlist, offering to undo.
    page.click("#unwatch")
    expect(page.locator("#undo-unwatch")).to_contain_text("Stopped watching Send client welcome pack.")
    expect(page.locator("tr.watch-row")).to_have_count(1)

    assert browser.errors == [], f"console errors (CSP violations?): {browser.errors}"


def test_bad_input_shows_a_400_page_that_says_what_was_wrong(transactional_db, browser, live_server, owner):
    """A hand-edited address (Unicode digits for a monitor's number) used to be a bare 500."""
    from playwright.sync_api import expect

    page = browser.page
    log_in(page, live_server, owner)
    page.wait_for_url(re.compile(r"/$"))
    response = page.goto(f"{live_server.url}/incidents/?monitor=%C2%B2")
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("Bad request")
    expect(page.locator("main .message-error")).to_contain_text("Choose the monitor from the list")
    expect(page.locator("header nav")).to_be_visible()  # the site's own page, menu and all
    browser.screenshot("06-bad-input")
    # The 400 itself is the one console line, and the expected one.
    assert browser.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    browser.errors.clear()
