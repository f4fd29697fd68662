"""Emails held by the hourly cap are said to be held where the person looks: the alerts page
and the incident page (issue 20: a newcomer's demo hit the cap and nothing said so)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from channels.models import Delivery, DeliveryState
from incidents.models import Incident
from tests.fixtures.users import PASSWORD

from tests.builders import failed_step, ingest_signal, make_execution, watch

EVENTS = reverse("alerts:events")
LAND = 15_000  # ms: Playwright's expect() deadline


def over_the_cap(user, settings):
    """Two incidents while the cap is one email an hour: the first is sent, the second held."""
    settings.ALERT_EMAILS_PER_HOUR = 1
    incidents = []
    for name in ("Create client folder", "Send SMS"):
        execution = make_execution(name=f"Review for {name}")
        failed_step(execution, name=name, status="failed", messages=(f"{name} went wrong",))
        watch(user, execution)
        ingest_signal(execution)
        incidents.append(Incident.objects.get(step_name=name))
    sent, held = incidents
    assert Delivery.objects.alert_emails().get(user=user, alert__incident=held).state == DeliveryState.HELD
    assert Delivery.objects.alert_emails().get(user=user, alert__incident=sent).state == DeliveryState.PENDING
    return sent, held


def notice(html):
    match = re.search(r'<p class="notice held-notice" id="held-notice"[^>]*>(.*?)</p>', html, re.S)
    return " ".join(match[1].split()) if match else None


@pytest.mark.django_db
def test_the_alerts_page_and_the_held_incidents_page_say_the_email_is_held(owner, settings):
    sent, held = over_the_cap(owner, settings)
    client = Client()
    client.force_login(owner)

    text = notice(client.get(EVENTS).content.decode())
    assert text and "1 alert email held" in text
    assert "you reached the limit of 1 alert email an hour" in text
    assert "listed in one digest email at" in text

    text = notice(client.get(reverse("incidents:detail", args=[held.pk])).content.decode())
    assert text and "Your email about this incident is held" in text
    # The incident whose email went out says nothing of the kind.
    assert notice(client.get(reverse("incidents:detail", args=[sent.pk])).content.decode()) is None


@pytest.mark.django_db
def test_someone_elses_held_email_is_not_mentioned(owner, other_user, settings):
    _, held = over_the_cap(owner, settings)
    watch(other_user, held.occurrence_rows.get().execution)
    client = Client()
    client.force_login(other_user)
    assert notice(client.get(EVENTS).content.decode()) is None
    assert notice(client.get(reverse("incidents:detail", args=[held.pk])).content.decode()) is None


@pytest.mark.browser
@pytest.mark.slow
def test_a_person_sees_held_for_digest_on_the_alerts_and_incident_pages(
    transactional_db, browser, live_server, owner, settings
):
    from playwright.sync_api import expect

    _, held = over_the_cap(owner, settings)
    page = browser.page
    page.goto(f"{live_server.url}/alerts/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    box = page.locator("#held-notice")
    expect(box).to_be_visible(timeout=LAND)
    expect(box).to_contain_text("Held for digest")
    expect(box).to_contain_text("you reached the limit of 1 alert email an hour")
    browser.screenshot("alerts-held-for-digest")

    page.goto(f"{live_server.url}/incidents/{held.pk}/")
    box = page.locator("#held-notice")
    expect(box).to_be_visible(timeout=LAND)
    expect(box).to_contain_text("Your email about this incident is held")
    browser.screenshot("incident-held-for-digest")
    box.get_by_role("link", name="See what is waiting").click()
    expect(page.locator("#held-notice")).to_contain_text("1 alert email held")
