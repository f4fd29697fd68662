"""What a person sees and does on the watchlist and execution pages, in the system Chromium.

Rows are made directly (no polling): these tests are about the pages. Every test
ends with no console errors, CSP violations included, Back and Forward too.
"""

import re

import pytest

from tests.builders import watch
from tests.waiting import wait_for
from tests.dashboard.test_browser import log_in

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def _rows(owner, n_done, failing_name="Send SMS failed here"):
    watch(owner, name=failing_name, status="failed", is_failing=True, account_name="Jane Client",
          failure_message="Send SMS: the account_uuid field is required")
    words = ["alpha", "bravo", "charlie", "delta"]
    for i in range(n_done):
        watch(owner, name=f"Annual review reminder for a client with a long name, {words[i % 4]}",
              status="completed", account_name=f"Client {i}", label="batch")


def test_on_a_phone_rows_are_cards_and_nothing_is_off_screen(transactional_db, browser, live_server, owner):
    from playwright.sync_api import expect

    page = browser.page
    page.set_viewport_size(PHONE)
    log_in(page, live_server, owner)
    # Nothing watched yet: the add form is open, it is what there is to do.
    expect(page.locator("#add-details")).to_have_attribute("open", "")
    _rows(owner, 6)
    page.reload()
    rows = page.locator("tr.watch-row")
    expect(rows).to_have_count(7)
    # Rows exist: the add form is folded away, a click opens it.
    assert page.locator("#add-details").get_attribute("open") is None
    expect(page.locator("#id_uuids")).to_be_hidden()

    # Nothing wider than the screen: no sideways scrolling, every card inside it.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in [rows.nth(i).bounding_box() for i in range(7)]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # A card: status, name, client, progress and failure, each visible, stacked.
    card = rows.first
    for part in (".col-status .badge", ".exec-name", ".client", ".col-progress", ".failure-text"):
        expect(card.locator(part).first).to_be_visible()
    name_box = card.locator(".exec-name").bounding_box()
    status_box = card.locator(".col-status").bounding_box()
    assert name_box["y"] >= status_box["y"] + status_box["height"] - 1, "name is beside the status, not below"
    # Names are not wrapped one word per line: the name has the card's width.
    assert card.locator(".col-name").bounding_box()["width"] > PHONE["width"] * 0.7
    browser.screenshot("phone-cards")

    page.click("#add-summary")
    expect(page.locator("#id_uuids")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert browser.errors == [], f"console errors: {browser.errors}"


def test_a_desktop_has_the_add_form_folded_too(transactional_db, browser, live_server, owner):
    from playwright.sync_api import expect

    _rows(owner, 1)
    page = browser.page
    log_in(page, live_server, owner)
    expect(page.locator("tr.watch-row")).to_have_count(2)
    expect(page.locator("#id_uuids")).to_be_hidden()
    # The rows start within the first screen.
    assert page.locator("tr.watch-row").first.bounding_box()["y"] < 450

    # A large paste (the most one paste takes, half of it garbage) through the opened form.
    import uuid

    page.click("#add-summary")
    lines = [str(uuid.uuid4()) if i % 2 else f"not-a-uuid-{i}" for i in range(1000)]
    page.fill("#id_uuids", "\n".join(lines))
    page.click("#add-form button[type=submit]")
    expect(page.locator("#paste-report")).to_contain_text("Added 500 executions", timeout=30_000)
    expect(page.locator("#add-details")).to_have_attribute("open", "")
    expect(page.locator(".status-counts")).to_contain_text("All 502", timeout=10_000)
    page.go_back()
    page.go_forward()
    expect(page.locator("tr.watch-row").first).to_be_visible()
    assert browser.errors == [], f"console errors: {browser.errors}"


def test_back_and_forward_restore_search_chips_and_rows_together(
    transactional_db, browser, live_server, owner, settings
):
    from playwright.sync_api import expect

    settings.UI_REFRESH_SECONDS = 1
    _rows(owner, 3)
    page = browser.page
    log_in(page, live_server, owner)
    rows = page.locator("tr.watch-row")
    expect(rows).to_have_count(4)

    page.fill("#search", "annual")
    expect(rows).to_have_count(3)
    expect(page).to_have_url(re.compile(r"/\?q=annual$"))
    page.click("#chip-status-completed")
    expect(page).to_have_url(re.compile(r"/\?status=completed&q=annual$"))
    page.fill("#search", "annual bravo")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/\?status=completed&q=annual\+bravo$"))

    def shows(q, chip, count):
        expect(page.locator("#search")).to_have_value(q)
        expect(page.locator(".count-chip[aria-current=true]")).to_have_id(chip)
        expect(rows).to_have_count(count)

    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?status=completed&q=annual$"))
    shows("annual", "chip-status-completed", 3)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?q=annual$"))
    shows("annual", "chip-all", 3)
    page.go_back()
    shows("", "chip-all", 4)
    page.go_forward()
    shows("annual", "chip-all", 3)
    page.go_forward()
    shows("annual", "chip-status-completed", 3)
    # Still live after all that: a refresh keeps what is shown.
    with page.expect_response(lambda r: "/watches/rows/" in r.url and "known=" in r.url):
        pass
    shows("annual", "chip-status-completed", 3)
    assert browser.errors == [], f"console errors: {browser.errors}"


def test_keyboard_skip_link_chips_keep_focus_paging_and_page_size(
    transactional_db, browser, live_server, owner, settings
):
    from playwright.sync_api import expect

    settings.WATCHLIST_PAGE_SIZE = 25
    _rows(owner, 59)
    page = browser.page
    page.set_viewport_size({"width": 1280, "height": 700})
    log_in(page, live_server, owner)
    rows = page.locator("tr.watch-row")
    expect(rows).to_have_count(25)

    # The first Tab reaches the skip link, which is then visible; Enter lands on the table.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    expect(page.locator("#watchlist-live")).to_be_focused()

    # A chip activated from the keyboard keeps the focus once the rows are swapped in.
    page.focus("#chip-failing")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(page.locator("#chip-failing")).to_be_focused()
    expect(page.locator("#chip-failing")).to_have_attribute("aria-current", "true")
    page.focus("#chip-all")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(25)
    expect(page.locator("#chip-all")).to_be_focused()

    # Next, from the bottom of the page: the next page's table starts in view.
    page.locator("#page-next").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 300
    page.click("#page-next")
    expect(page.locator(".pager")).to_contain_text("Page 2 of 3")
    # Polled from Python: wait_for_function would need eval, which the CSP forbids.
    table_top = "document.getElementById('watchlist-live').getBoundingClientRect().top"
    wait_for(lambda: page.evaluate(table_top) >= -1, timeout=5, message="the next page's table in view")
    top = page.evaluate(table_top)
    assert -1 <= top < 100, f"the table's top is at {top}px"

    # Page size: the choice applies and the address bar keeps it.
    page.focus("#page-size")
    page.select_option("#page-size", "100")
    expect(rows).to_have_count(60)
    expect(page).to_have_url(re.compile(r"size=100"))
    expect(page.locator("#page-size")).to_be_focused()
    assert browser.errors == [], f"console errors: {browser.errors}"


def test_unwatch_offers_undo_then_the_page_stays_readable_and_logout_says_so(
    transactional_db, browser, live_server, owner, monkeypatch
):
    from playwright.sync_api import expect

    from ui import execution as views

    monkeypatch.setattr(views, "UNDO_SECONDS", 3)
    w = watch(owner, name="Send client welcome pack", status="failed", is_failing=True, label="vip",
              failure_message="Send SMS: the account_uuid field is required")
    page = browser.page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, live_server, owner)
    detail = f"{live_server.url}/executions/{w.execution.uuid}/"

    page.goto(detail)
    page.click("#unwatch")
    undo = page.locator("#undo-unwatch")
    expect(undo).to_contain_text("Stopped watching Send client welcome pack.")
    expect(page.locator("#undo-button")).to_be_focused()
    expect(page.locator("tr.watch-row")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Undone")
    expect(page.locator("tr.watch-row")).to_have_count(1)
    expect(page.locator("td.col-label")).to_have_text("vip")

    # Not undone: the offer goes after a few seconds.
    page.goto(detail)
    page.click("#unwatch")
    expect(undo).to_be_visible()
    expect(undo).to_have_count(0, timeout=10_000)
    assert dialogs == [], "unwatching asked for confirmation"

    # Its page, from a link in an old email, shows the last known state and "Watch again".
    page.goto(detail)
    expect(page.locator("#not-watched")).to_contain_text("You no longer watch this execution")
    expect(page.locator("#failure-summary")).to_contain_text("the account_uuid field is required")
    page.click("#watch-again")
    expect(page.locator("#poll-now")).to_be_visible()

    page.click("#logout")
    expect(page.locator(".messages")).to_contain_text("You are logged out.")
    assert browser.errors == [], f"console errors: {browser.errors}"
