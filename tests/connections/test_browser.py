"""In the system Chromium: an Admin adds a connection, picks the account, and sees it polled."""

import pytest

from connections.models import Connection
from executions.models import Execution, PollState
from executions.watching import watch_executions
from tests.fixtures.users import PASSWORD
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OTHER_FIRM = ({"uuid": "0b5e5e1e-4444-4444-8444-444444444444", "type": "employee", "name": "Other",
               "email": "o@x"}, {"name": "Other Firm"})


def test_add_a_connection_pick_the_account_and_see_it_polled(
    transactional_db, browser, live_server, celery_processes, simulator, admin, settings
):
    from playwright.sync_api import expect

    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    celery_processes.worker()
    celery_processes.beat()
    simulator.user.preferred = None
    simulator.user.extra_logins.append(OTHER_FIRM)  # two firm accounts: the person must choose

    page = browser.page
    page.goto(f"{live_server.url}/accounts/login/?next=/connections/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Plannr connections")

    page.fill("#add-connection #id_name", "acme")
    page.fill("#add-connection #id_base_url", simulator.url)
    page.fill("#add-connection #id_token", simulator.token)
    page.click("#add-connection button[type=submit]")
    expect(page.locator("h1")).to_have_text("Choose the account for acme")
    expect(page.locator("#choose-account")).to_contain_text("Other Firm")
    assert simulator.token not in page.content()
    browser.screenshot("01-choose-account")
    page.check(f"input[value='{simulator.account_uuid}']")
    page.click("#choose-account button[type=submit]")
    row = page.locator("tr[data-connection='acme']")
    expect(row).to_contain_text("Simulated Financial Planning Ltd")

    acme = Connection.objects.get(name="acme")
    assert str(acme.account_uuid) == simulator.account_uuid
    watch_executions(admin, simulator.create_many(2), connection=acme)
    wait_for(lambda: Execution.objects.filter(connection=acme, poll_state=PollState.OK).count() == 2,
             timeout=30, message="the worker to poll through the new connection")

    def polled_on_the_page():
        page.reload()
        return page.locator("tr[data-connection='acme'] td[data-polled]").get_attribute("data-polled") == "2"

    wait_for(polled_on_the_page, timeout=30, message="the page to show the connection's executions polled")
    expect(row).not_to_contain_text("never")
    browser.screenshot("02-polled")
    assert simulator.stats.without_account == 0 and simulator.stats.forbidden == 0
