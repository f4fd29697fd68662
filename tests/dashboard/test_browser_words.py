"""In Chromium: the words and formats of issue 20, point 18, as a person reads them."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.profiles import profile_for
from api.tokens import create_token
from monitors.models import Monitor, Scope
from tests.builders import failed_step, ingest_signal, watch
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser]

# "07 Dec 2026, 14:00:00 GMT": the site's format, with the zone named.
SITE_TIME = r"\d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}(:\d{2})? [A-Z+\-0-9]+"




def test_words_and_formats(transactional_db, browser, live_server, owner):
    from playwright.sync_api import expect

    for codename in ("manage_monitors", "view_audit_log"):
        owner.user_permissions.add(Permission.objects.get(codename=codename))
    profile = profile_for(owner)
    profile.time_zone = "Asia/Tokyo"
    profile.save()
    now = timezone.now()
    monitor = Monitor.objects.create(name="One day back", scope=Scope.EVERYTHING, backfill_days=1,
                                     start_at=now - timedelta(days=1))
    # Due 10 s ago; last polled 58.5 s ago, so the page's clock turns it to "1 min ago" within 2 s.
    due = watch(owner, next_poll_at=now - timedelta(seconds=10), last_polled_at=now - timedelta(seconds=58.5))
    failed_step(due.execution)
    ingest_signal(due.execution)
    create_token(owner, "reporting", expires_at=now + timedelta(days=30))

    page = browser.page
    sign_in(page, live_server, owner, f"/monitors/{monitor.pk}/")
    expect(page.locator("h1#monitor-heading")).to_have_text("One day back")
    expect(page.locator("#start-note")).to_have_text("(backfilled 1 day before it was created)")
    assert "the 1 day before" not in page.content()

    # A poll that is due reads "due now", never "10 s ago", even as the page's clock ticks.
    page.goto(f"{live_server.url}/executions/{due.execution.uuid}/")
    expect(page.locator("#next-poll")).to_have_text("due now")
    expect(page.locator("#last-polled")).to_have_text("1 min ago", timeout=10_000)  # the clock has ticked
    expect(page.locator("#next-poll")).to_have_text("due now")

    # The incident chart: the user's zone (Tokyo) and the site's date format, not "12/1/26".
    page.goto(f"{live_server.url}/incidents/")
    page.locator("tr.incident-row a").first.click()
    chart = page.locator("#incident-chart")
    expect(chart).to_have_attribute("aria-label", re.compile(rf"from {SITE_TIME} to {SITE_TIME}"))
    assert "GMT+9" in chart.get_attribute("aria-label")
    over = chart.locator(".u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    over.hover(position={"x": 5, "y": 5})
    over.hover(position={"x": box["width"] * 0.9, "y": box["height"] / 2})
    x_value = chart.locator(".u-legend .u-series").first.locator(".u-value")
    expect(x_value).to_have_text(re.compile(rf"^{SITE_TIME}$"))
    assert "/" not in x_value.text_content()

    # API token dates name their zone.
    page.goto(f"{live_server.url}/api-tokens/")
    for cell in ("token-created", "token-expires"):
        expect(page.locator(f"td.{cell}").first).to_have_text(re.compile(rf"^{SITE_TIME}$"))
        expect(page.locator(f"td.{cell}").first).to_contain_text("JST")

    # The time-zone choice: canonical zones only, grouped by area, sorted, with a search.
    page.goto(f"{live_server.url}/accounts/profile/")
    select = page.locator("#id_time_zone")
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert "Europe/London" in values and "Asia/Tokyo" in values and "UTC" in values
    for alias in ("GB", "US/Eastern", "Etc/GMT+5", "Asia/Calcutta", "Europe/Belfast"):
        assert alias not in values
    groups = select.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert groups[:2] == ["Europe", "America"] and len(groups) == len(set(groups))
    europe = select.locator("optgroup[label=Europe] option").evaluate_all("o => o.map(x => x.value)")
    assert europe == sorted(europe)
    page.fill("#zone-search", "new york")
    expect(select).to_have_value("America/New_York")
    assert select.locator("option:not([hidden])").count() == 1
    page.click("#profile-form button[type=submit]")
    expect(page.locator("#id_time_zone")).to_have_value("America/New_York")

    # The audit log reads "time zone: Asia/Tokyo", not a Python dict.
    page.goto(f"{live_server.url}/audit/")
    row = page.locator("#audit-table tbody tr").filter(has_text="profile.update").first
    expect(row.locator(".audit-before dt")).to_have_text("time zone")
    expect(row.locator(".audit-before dd")).to_have_text("Asia/Tokyo")
    expect(row.locator(".audit-after dd")).to_have_text("America/New_York")
    assert "{'" not in page.locator("#audit-table").inner_text()
    browser.screenshot("audit")
    assert browser.errors == [], browser.errors
