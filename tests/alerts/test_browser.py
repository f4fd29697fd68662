"""The alerts pages in the system Chromium: states shown, mute via htmx, live updates, no CSP errors."""

import pytest
from django.utils import timezone

from alerts.models import FailureEvent
from channels.models import Delivery, DeliveryState
from executions.models import Watch
from tests.fixtures.users import PASSWORD

from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAND = 15_000  # ms: Playwright's expect() deadline


def test_the_alerts_page_shows_states_mutes_with_htmx_and_updates_live(
    transactional_db, browser, live_server, owner, settings
):
    from playwright.sync_api import expect

    settings.UI_REFRESH_SECONDS = 1
    execution = make_execution(name="Annual review <reminder>")
    failed_step(execution, name="Send SMS", status="failed", info='<b>raw</b> "info"')
    watch(owner, execution)
    ingest_signal(execution)
    delivery = Delivery.objects.alert_emails().get()
    Delivery.objects.alert_emails().filter(pk=delivery.pk).update(
        state=DeliveryState.RETRYING, attempts=2, last_error="Could not reach the mail server at smtp:25"
    )

    page = browser.page
    page.goto(f"{live_server.url}/alerts/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    row = page.locator(f"#event-{FailureEvent.objects.get().pk}")
    expect(row).to_contain_text("Retrying")
    expect(row).to_contain_text("Could not reach the mail server at smtp:25")
    expect(row).to_contain_text("Annual review <reminder>")  # escaped, so shown as text
    page.evaluate("window.__noReload = 1")
    browser.screenshot("alerts-retrying")

    # Mute through htmx: the button flips in place, the watch is muted.
    row.get_by_role("button", name="Mute alerts").click()
    expect(row.get_by_role("button", name="Unmute alerts")).to_be_visible()
    assert Watch.objects.get(user=owner).muted

    # The delivery is sent meanwhile: the page shows it without a reload.
    Delivery.objects.alert_emails().filter(pk=delivery.pk).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), address="owner@example.com", updated_at=timezone.now()
    )
    expect(row).to_contain_text("Sent", timeout=LAND)
    expect(row).to_contain_text("owner@example.com")
    assert page.evaluate("window.__noReload") == 1
    browser.screenshot("alerts-sent")

    # Settings: turn alerts off.
    page.goto(f"{live_server.url}/alerts/settings/")
    page.uncheck("#id_enabled")
    page.click("main form button[type=submit]")
    expect(page.locator("#current-setting")).to_contain_text("Alerts are off")
    assert browser.errors == []


def test_a_monitor_subscriber_sees_a_failed_alert_with_its_error_and_sends_it_again(
    transactional_db, browser, live_server, owner
):
    """They watch nothing: the alert reached them through the monitor (issue 20.34)."""
    from playwright.sync_api import expect

    from monitors.models import Finding
    from tests.fixtures.browser import sign_in
    from tests.monitors.builders import everything

    monitor = everything(owner)
    execution = make_execution(name="Found by the monitor")
    Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now())
    failed_step(execution, name="Send SMS")
    ingest_signal(execution)
    assert not Watch.objects.filter(user=owner).exists()
    Delivery.objects.alert_emails().filter(user=owner).update(
        state=DeliveryState.FAILED, attempts=8, last_error="Could not reach the mail server at smtp:25"
    )
    event = FailureEvent.objects.get(execution=execution)

    page = browser.page
    sign_in(page, live_server, owner, "/alerts/?show=problems")
    row = page.locator(f"#event-{event.pk}")
    expect(row).to_be_visible()
    expect(row.locator(".delivery-error")).to_have_text("Could not reach the mail server at smtp:25")
    expect(page.locator("[data-filter=problems] .count")).to_have_text("1")
    row.get_by_role("button", name="Send again").click()
    expect(page.locator(".messages")).to_contain_text("The alert will be sent again.")
    assert Delivery.objects.alert_emails().get(user=owner).state == DeliveryState.PENDING
    assert browser.errors == [], browser.errors
