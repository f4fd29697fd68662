"""Chromium adds a webhook channel, sends the test message through a real worker, sees it in the log."""

import pytest
from standardwebhooks.webhooks import Webhook

from channels.models import Channel
from tests.fixtures.users import PASSWORD

from .test_worker import WORKER_ENV

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAND = 30_000  # ms: Playwright's expect() deadline (a worker sends it)


def test_add_a_webhook_channel_send_the_test_message_and_see_it_delivered(
    celery_processes, browser, live_server, webhook_receiver, owner, settings
):
    from playwright.sync_api import expect

    settings.UI_REFRESH_SECONDS = 1
    celery_processes.worker(extra_env=WORKER_ENV)
    page = browser.page
    page.goto(f"{live_server.url}/channels/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click("a:has-text('Add a channel')")

    browser.screenshot("choose-kind")
    page.click("#kind-webhook a")
    # Without ALLOW_PRIVATE_WEBHOOK_TARGETS a loopback receiver is refused on save, saying why.
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = False
    page.fill("#id_name", "Ops receiver")
    page.fill("#id_target", webhook_receiver.url("/hooks/s3cr3t-path"))
    page.click("#channel-form button[type=submit]")
    expect(page.locator("#channel-form")).to_contain_text("private")
    assert "s3cr3t-path" not in page.content() and not Channel.objects.exists()
    browser.screenshot("private-target-refused")

    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True
    page.fill("#id_target", webhook_receiver.url("/hooks/s3cr3t-path"))
    page.click("#channel-form button[type=submit]")
    secret = page.locator("#secret-value").inner_text().strip()
    assert secret.startswith("whsec_")
    browser.screenshot("secret-shown-once")

    page.click("a:has-text('Continue to the channel')")
    expect(page.locator("#channel-target")).to_have_text(f"http://127.0.0.1:{webhook_receiver.port}/…")
    expect(page.locator("#no-attempts")).to_be_visible()
    page.evaluate("window.__noReload = 1")
    page.click("#send-test")
    expect(page.locator("#test-result")).to_contain_text("Test message delivered (HTTP 200)", timeout=LAND)
    log = page.locator("#delivery-log")
    expect(log).to_contain_text("Delivered", timeout=LAND)
    expect(log).to_contain_text("200")
    expect(page.locator("#channel-state")).to_have_text("Working")
    assert page.evaluate("window.__noReload") == 1  # all of it live, without a reload
    browser.screenshot("test-delivered")

    # A failed test: the state follows the last delivery, live.
    webhook_receiver.error(500)
    page.click("#send-test")
    expect(page.locator("#test-result")).to_contain_text("failed", timeout=LAND)
    expect(page.locator("#channel-state")).to_have_text("Failing", timeout=LAND)
    assert page.evaluate("window.__noReload") == 1

    request = webhook_receiver.delivered()[0]
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "test"
    assert "s3cr3t-path" not in page.content() and secret not in page.content()
    assert Channel.objects.get().name == "Ops receiver"
    assert browser.errors == []
