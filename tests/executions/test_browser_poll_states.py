"""In Chromium: what a person sees of an execution Plannr does not know (issue 20.17) and of
a poll under way (20.35). Real simulator over HTTP; the polls are run by the test, in order."""

import uuid as uuid_lib
from datetime import timedelta

import pytest
from django.utils import timezone

from executions import polling
from executions.models import Execution
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("redis_client")]




def test_an_unknown_execution_is_shown_as_not_found_and_given_up(
    transactional_db, browser, live_server, simulator, owner, settings
):
    from playwright.sync_api import expect

    settings.NOT_FOUND_GIVE_UP = 2
    settings.UI_REFRESH_SECONDS = 1
    unknown = str(uuid_lib.uuid4())
    page = browser.page
    sign_in(page, live_server, owner, f"/executions/{unknown}/")
    expect(page.locator("#watch-it")).to_be_visible()
    # That page answers 404 by design ("nothing to see"): the one console error expected.
    assert all("status of 404" in e for e in browser.errors), browser.errors
    browser.errors.clear()
    page.click("#watch-it")  # the first watch of a UUID nobody watched
    expect(page.locator(".messages")).to_contain_text("Now watching this execution")
    assert "Watching this execution again" not in page.content()

    for _ in range(2):
        Execution.objects.filter(uuid=unknown).update(next_poll_at=timezone.now() - timedelta(seconds=1))
        polling.run_cycle()
    execution = Execution.objects.get(uuid=unknown)
    assert execution.next_poll_at is None and execution.consecutive_errors == 2

    page.goto(f"{live_server.url}/executions/{unknown}/")
    expect(page.locator("h1.exec-title")).to_have_text("Not found in Plannr")
    expect(page.locator("#execution-status")).to_have_text("not found in Plannr")
    expect(page.locator("#next-poll")).to_have_text("none: not found in Plannr after 2 tries")
    assert "not polled yet" not in page.locator("#execution-live").inner_text().lower()
    page.goto(f"{live_server.url}/")
    row = page.locator(f'tr[data-uuid="{unknown}"]')
    expect(row.locator(".exec-name")).to_have_text("(not found in Plannr)")
    expect(row.locator(".poll-trouble")).to_contain_text("Not found")
    browser.screenshot("not-found")
    assert browser.errors == [], browser.errors


def test_a_claimed_poll_reads_polling_until_its_batch_reports(
    transactional_db, browser, live_server, simulator, owner, settings
):
    from playwright.sync_api import expect

    from tests.executions.polling_helpers import watch_all

    settings.UI_REFRESH_SECONDS = 1
    [uuid] = simulator.create_many(1)
    watch_all(owner, [uuid])
    polling.run_cycle()
    page = browser.page
    sign_in(page, live_server, owner, f"/executions/{uuid}/")
    cell = page.locator("#last-polled")
    expect(cell.locator("time")).to_be_visible()

    Execution.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    sent = []
    polling.dispatch(send=lambda rows, token: sent.append((rows, token)))  # claimed; the batch has not run
    expect(cell).to_have_text("polling…", timeout=10_000)  # the live region refreshes
    page.goto(f"{live_server.url}/")
    expect(page.locator(f'tr[data-uuid="{uuid}"] .col-polled')).to_contain_text("polling…")

    [(rows, token)] = sent
    polling.poll_claimed(rows, token)  # the batch reports
    expect(page.locator(f'tr[data-uuid="{uuid}"] .col-polled time')).to_be_visible(timeout=10_000)
    expect(page.locator(f'tr[data-uuid="{uuid}"] .col-polled')).not_to_contain_text("polling…")
    assert browser.errors == [], browser.errors
