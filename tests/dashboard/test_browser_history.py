"""Back and Forward on every page whose filters move the address bar (htmx history).

Each page: filter or search (one history entry per change), open something from it,
press Back: the whole page comes back (menu, heading, filters as they were), never a
bare fragment; Back again, within the page, is the whole page too (htmx asks the
server for it, `HX-History-Restore-Request`).
"""

import re

import pytest
from django.utils import timezone

from accounts import roles
from executions.models import Watch
from incidents.models import Incident
from monitors.models import Finding
from tests.builders import watch
from tests.dashboard.test_browser import log_in
from tests.incidents.test_grouping import failing
from tests.monitors.builders import everything

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def no_timed_refresh(settings):
    # Not what these tests are about; a refresh in flight when Back leaves the page is aborted.
    settings.UI_REFRESH_SECONDS = 600


def _history_length(page):
    return page.evaluate("history.length")


def _whole_page(page, heading):
    from playwright.sync_api import expect

    expect(page.locator(heading)).to_be_visible()
    expect(page.locator("header.site-header nav")).to_be_visible()
    expect(page.locator("footer.site-footer")).to_be_visible()
    # The site's stylesheet applies (a bare fragment has none: no header, no styles).
    assert page.locator("header.site-header").count() == 1, "the header is there once, not nested"


def _search_away_and_back(page, url, heading, rows, away, away_heading):
    """Search (#search, live), see one entry per search, leave by `away`, come Back."""
    from playwright.sync_api import expect

    page.goto(url)
    _whole_page(page, heading)
    expect(rows).to_have_count(2)
    before = _history_length(page)
    page.fill("#search", "bravo")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=bravo$"))
    page.press("#search", "Enter")  # the same search again: no second entry
    expect(rows).to_have_count(1)
    assert _history_length(page) == before + 1

    page.click(away)
    expect(page.locator(away_heading)).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=bravo$"))
    _whole_page(page, heading)
    expect(page.locator("#search")).to_have_value("bravo")
    expect(rows).to_have_count(1)
    page.go_back()  # within the page: htmx restores it from the server
    expect(page).not_to_have_url(re.compile(r"q=bravo"))
    _whole_page(page, heading)
    expect(rows).to_have_count(2)
    page.go_forward()
    _whole_page(page, heading)
    expect(rows).to_have_count(1)


def test_incidents_list_filter_open_one_and_come_back(transactional_db, browser, live_server, owner):
    from playwright.sync_api import expect

    roles.assign_role(owner, roles.OPERATOR)
    for message, client in (("the account_uuid field is required", "Alpha"), ("no phone number", "Bravo")):
        Watch.objects.create(user=owner, execution=failing(message=message, client=client))
    page = browser.page
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/incidents/")
    rows = page.locator("tr.incident-row")
    expect(rows).to_have_count(2)
    before = _history_length(page)

    # Type a search, then click Filter: the input's change and the submit are one entry.
    page.fill(".incident-filters input[name=q]", "phone")
    page.click(".incident-filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/incidents/\?(.*&)?q=phone$"))
    page.select_option(".incident-filters select[name=status]", "open")
    expect(page).to_have_url(re.compile(r"/incidents/\?status=open&(.*&)?q=phone$"))
    page.click(".incident-filters button[type=submit]")  # nothing new to apply
    expect(rows).to_have_count(1)
    assert _history_length(page) == before + 2

    rows.first.locator("a.incident-title").click()
    expect(page.locator("#incident-heading")).to_contain_text("no phone number")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/incidents/\?status=open&(.*&)?q=phone$"))
    _whole_page(page, "#incidents-heading")
    expect(page.locator(".incident-filters input[name=q]")).to_have_value("phone")
    expect(page.locator(".incident-filters select[name=status]")).to_have_value("open")
    expect(rows).to_have_count(1)

    page.go_back()  # within the page: htmx restores the previous address from the server
    expect(page).to_have_url(re.compile(r"/incidents/\?(.*&)?q=phone$"))
    _whole_page(page, "#incidents-heading")
    expect(page.locator(".incident-filters select[name=status]")).to_have_value("")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/incidents/$"))
    _whole_page(page, "#incidents-heading")
    expect(rows).to_have_count(2)
    assert browser.errors == [], f"console errors: {browser.errors}"


def test_watchlist_monitor_and_incident_pages_search_leave_and_come_back(
    transactional_db, browser, live_server, owner
):
    page = browser.page
    for name in ("Welcome pack alpha", "Welcome pack bravo"):
        watch(owner, name=name, status="completed")
    log_in(page, live_server, owner)
    _search_away_and_back(
        page, f"{live_server.url}/", "#watchlist-heading", page.locator("tr.watch-row"),
        "tr.watch-row a.exec-name", "h1",
    )

    monitor = everything(owner, name="All of it")
    for execution in [w.execution for w in Watch.objects.filter(user=owner)]:
        Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now())
    _search_away_and_back(
        page, f"{live_server.url}/monitors/{monitor.pk}/", "#monitor-heading", page.locator("tr.watch-row"),
        "tr.watch-row a.exec-name", "h1",
    )

    for client in ("Alpha", "Bravo"):
        Watch.objects.create(user=owner, execution=failing(client=client, blueprint="Welcome pack"))
    incident = Incident.objects.get()
    _search_away_and_back(
        page, f"{live_server.url}/incidents/{incident.pk}/", "#incident-heading",
        page.locator("#executions-live tr.watch-row"), "#executions-live tr.watch-row a.exec-name", "h1",
    )
    assert browser.errors == [], f"console errors: {browser.errors}"
