"""Chromium: enrol TOTP, sign out, sign in with a code; a wrong code is refused."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from accounts import roles
from tests.accounts.helpers import user_in_role
from tests.fixtures.users import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")


def test_totp_enrol_sign_out_and_sign_in_with_a_code(browser, live_server, settings):
    settings.MFA_TOTP_TOLERANCE = 1  # the next period's code: the enrolment spent the current one
    user_in_role("ada", roles.VIEWER)
    page, base = browser.page, live_server.url

    _sign_in(page, base, "ada")
    expect(page.locator("h1#overview-heading")).to_be_visible()

    # Enrol: allauth asks for the password again, then shows the secret and wants a code.
    page.click("#settings-menu summary")  # the Account page is in the header's Settings menu
    page.click("a[href='/accounts/profile/']")
    page.click("#mfa-manage")
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
    secret = page.locator("#authenticator_secret").input_value()
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", totp.now())
    browser.screenshot("01-activate")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Recovery")

    # Sign out: the page says so.
    page.click("header form[action='/accounts/logout/'] button")
    expect(page.locator(".messages")).to_contain_text("You are logged out.")

    # Sign in: the password leads to the code step; a wrong code is refused.
    _sign_in(page, base, "ada")
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    wrong = "000000" if totp.now() != "000000" else "111111"
    page.fill("input[name=code]", wrong)
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Incorrect code")
    # The watchlist stays out of reach until a right code is given.
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    expect(page.locator("h1#overview-heading")).to_have_count(0)

    page.fill("input[name=code]", totp.at(time.time() + 30))
    page.click("main form button[type=submit]")
    expect(page.locator("h1#overview-heading")).to_be_visible()
    browser.screenshot("02-signed-in")
    assert browser.errors == []


def test_a_security_key_is_added_and_signs_in(browser, live_server):
    user_in_role("ada", roles.VIEWER)
    page, base = browser.page, live_server.url
    # Chromium's virtual authenticator stands in for the key.
    cdp = browser.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})

    _sign_in(page, base, "ada")
    expect(page.locator("h1#overview-heading")).to_be_visible()
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        # The button only works once allauth's script on the new page has run.
        page.wait_for_url(f"{base}/accounts/2fa/webauthn/add/")
        page.wait_for_load_state("load")
    page.fill("input[name=name]", "desk key")
    page.click("#mfa_webauthn_add")
    expect(page.locator("main")).to_contain_text("Recovery", timeout=15_000)

    page.click("header form[action='/accounts/logout/'] button")
    expect(page.locator(".messages")).to_contain_text("You are logged out.")
    _sign_in(page, base, "ada")
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    page.click("#mfa_webauthn_authenticate")
    expect(page.locator("h1#overview-heading")).to_be_visible(timeout=15_000)
    assert browser.errors == []


def test_with_require_2fa_enrolment_follows_sign_in_without_a_second_password_prompt(browser, live_server, settings):
    settings.REQUIRE_2FA = True
    user_in_role("ada", roles.VIEWER)
    page, base = browser.page, live_server.url
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    _sign_in(page, base, "ada")
    expect(page).to_have_url(f"{base}/accounts/2fa/totp/activate/")
    expect(page.locator("#authenticator_secret")).not_to_have_value("")
    assert not any("/reauthenticate/" in url for url in visited), visited
    browser.screenshot("03-enrol-right-after-sign-in")
    assert browser.errors == []


def test_every_password_link_leads_to_the_one_reset_flow(browser, live_server, settings):
    user_in_role("ada", roles.VIEWER)
    page, base = browser.page, live_server.url
    reset = f"{base}/accounts/password/reset/"

    page.goto(f"{base}/accounts/login/")
    page.click("#forgotten-password")
    expect(page).to_have_url(reset)

    # Locked out: the message offers the reset, and says what it does to the lock.
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", "wrong-password")
        page.click("#login-form button[type=submit]")
    _sign_in(page, base, "ada")
    expect(page.locator(".field-errors")).to_contain_text("a completed reset lifts the lock")
    browser.screenshot("04-lockout-offers-reset")
    page.click("#lockout-reset")
    expect(page).to_have_url(reset)

    # The page that asks for the password again has the way out too.
    from django.core.cache import cache

    cache.clear()  # the lock ends (as its window would)
    _sign_in(page, base, "ada")
    expect(page.locator("h1#overview-heading")).to_be_visible()
    page.goto(f"{base}/accounts/reauthenticate/")
    page.click("#forgotten-password")
    expect(page).to_have_url(reset)

    # Django's old pages are gone: their addresses lead to allauth's.
    page.goto(f"{base}/accounts/password_change/")
    expect(page).to_have_url(f"{base}/accounts/password/change/")
    assert browser.errors == []


def test_sign_out_everywhere_offers_to_revoke_api_tokens(browser, live_server):
    import requests

    from api import tokens

    user = user_in_role("ada", roles.VIEWER)
    _, raw = tokens.create_token(user, "script")
    page, base = browser.page, live_server.url
    _sign_in(page, base, "ada")
    page.goto(f"{base}/accounts/profile/")
    expect(page.locator("label[for=revoke-api-tokens]")).to_contain_text("Also revoke my API tokens (1 active)")
    page.check("#revoke-api-tokens")
    browser.screenshot("05-sign-out-everywhere")
    page.click("#sign-out-everywhere button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("1 API token(s) revoked.")
    answer = requests.get(f"{base}/api/v1/watches", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert answer.status_code == 401
    assert browser.errors == []
