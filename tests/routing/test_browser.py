"""Following an alert email's Acknowledge link in Chromium: sign-in, the confirmation, the change."""

import re

import pytest
from django.core import mail

from channels import outbox
from channels.models import Delivery
from audit.models import AuditEvent
from incidents.models import Incident, Status
from tests.builders import failed_step, ingest_signal, make_execution, watch
from tests.fixtures.users import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAND = 15_000  # ms: Playwright's expect() deadline


def test_an_emails_acknowledge_link_signs_in_then_confirms(transactional_db, browser, live_server, operator):
    from playwright.sync_api import expect

    execution = make_execution(name="Paraplanning: annual review pack")
    failed_step(execution)
    watch(operator, execution)
    ingest_signal(execution)
    outbox.send(Delivery.objects.alert_emails().get().pk)
    [email] = mail.outbox
    link = re.search(r"Acknowledge: (\S+)", email.body).group(1)
    incident = Incident.objects.get()

    page = browser.page
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    # Not signed in: the sign-in page first, then back to the link.
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    confirm = page.locator("#confirm-action")
    expect(confirm).to_have_text("Acknowledge as operator", timeout=LAND)
    incident.refresh_from_db()
    assert incident.status == Status.OPEN  # opening the link changed nothing
    browser.screenshot("confirm")

    confirm.click()
    expect(page.locator("#incident-heading")).to_be_visible(timeout=LAND)
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED and incident.status_changed_by == operator
    assert AuditEvent.objects.filter(action="incident.action_link", actor=operator).exists()

    # The same link again: a clear page, nothing changes.
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    expect(page.locator("#action-refused")).to_contain_text("already been used", timeout=LAND)
    # That page's 409 is the one console error Chromium reports; anything else still fails the test.
    assert browser.errors == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]
    browser.errors.clear()
