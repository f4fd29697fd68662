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


def log_in_at(page, live_server, user, path):
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")


def test_ticked_incidents_stay_ticked_through_refreshes_and_an_empty_action_is_refused(
    transactional_db, browser, live_server, operator, settings
):
    from playwright.sync_api import expect

    settings.UI_REFRESH_SECONDS = 1
    watched_failure(operator, message="no phone number", client="Alpha")
    watched_failure(operator, message="the account_uuid field is required", client="Bravo")
    phone, account = Incident.objects.get(message__contains="phone"), Incident.objects.exclude(message__contains="phone").get()
    page = browser.page
    log_in_at(page, live_server, operator, "/incidents/")
    page.evaluate("window.__noReload = 1")
    page.check(f"input[name=incident][value=\"{phone.pk}\"]")

    # Something changes: the refresh re-renders the rows, the tick stays.
    watched_failure(operator, message="the account_uuid field is required", client="Charlie")
    expect(page.locator(f"#incident-{account.pk} .occurrences")).to_have_text("2", timeout=LAND)
    assert page.evaluate("window.__noReload") == 1
    expect(page.locator(f"input[name=incident][value=\"{phone.pk}\"]")).to_be_checked()
    expect(page.locator(f"input[name=incident][value=\"{account.pk}\"]")).not_to_be_checked()

    page.click("[data-bulk=resolve]")
    expect(page.locator(".message")).to_have_text("1 incident: resolved.")
    assert Incident.objects.get(pk=phone.pk).status == Status.RESOLVED
    assert Incident.objects.get(pk=account.pk).status == Status.OPEN

    page.click("[data-bulk=acknowledge]")  # nothing ticked
    expect(page.locator(".message")).to_have_text("Nothing to acknowledge: tick one or more incidents first.")
    assert Incident.objects.get(pk=account.pk).status == Status.OPEN
    assert browser.errors == []


def test_the_history_follows_each_action_and_assign_offers_every_operator_and_admin(
    transactional_db, browser, live_server, operator, admin, owner
):
    from playwright.sync_api import expect

    watched_failure(operator)
    incident = Incident.objects.get()
    page = browser.page
    log_in_at(page, live_server, operator, f"/incidents/{incident.pk}/")
    page.evaluate("window.__noReload = 1")
    history = page.locator(".status-history li")
    expect(history).to_have_count(1)  # "Opened ...; no changes since."

    page.get_by_role("button", name="Acknowledge").click()
    expect(history.first).to_contain_text("open → acknowledged by operator")
    page.get_by_role("button", name="Snooze 1 hour").click()
    expect(history.first).to_contain_text("acknowledged → snoozed by operator")
    # Every Operator and Admin is offered, the Viewer is not.
    expect(page.locator("#assignee option")).to_have_text(["admin", "operator (me)"])
    page.select_option("#assignee", label="admin")
    page.click("#assign")
    expect(history.first).to_contain_text("Assigned to admin. by operator")
    expect(page.locator("#incident-assignee")).to_have_text("admin")
    page.get_by_role("button", name="Unassign").click()
    expect(history.first).to_contain_text("Unassigned (was admin). by operator")
    expect(page.locator("#incident-assignee")).to_have_text("nobody")
    page.get_by_role("button", name="Resolve").click()
    expect(history.first).to_contain_text("snoozed → resolved by operator")
    expect(history).to_have_count(5)
    assert page.evaluate("window.__noReload") == 1
    assert browser.errors == []
