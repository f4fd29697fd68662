"""TOTP enrolment and sign-in with codes from pyotp, recovery codes, and REQUIRE_2FA."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts import roles
from tests.accounts.flows import enrol_totp, next_code, sign_in
from tests.accounts.helpers import user_in_role

pytestmark = pytest.mark.django_db

WATCHLIST = reverse("executions:watchlist")
LANDING = reverse("monitors:overview")  # where a sign-in lands


@pytest.fixture(autouse=True)
def one_period_of_tolerance(settings):
    # The test uses the next period's code (the current one was spent on enrolment).
    settings.MFA_TOTP_TOLERANCE = 1


def test_totp_enrolment_then_sign_in_asks_for_the_code(client):
    user = user_in_role("ada", roles.VIEWER)
    assert sign_in(client, "ada")["Location"] == LANDING
    totp = enrol_totp(client)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert totp.secret not in str(stored.data)  # encrypted at rest
    client.post(reverse("logout"))

    step = sign_in(client, "ada")
    assert step["Location"] == reverse("mfa_authenticate")
    assert client.get(WATCHLIST).status_code == 302  # not signed in yet

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000" if totp.now() != "000000" else "111111"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    assert client.get(WATCHLIST).status_code == 302

    right = client.post(reverse("mfa_authenticate"), {"code": next_code(totp)})
    assert right["Location"] == LANDING
    assert client.get(WATCHLIST).status_code == 200


def test_a_recovery_code_signs_in_once(client):
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    enrol_totp(client)
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert len(codes) == 10
    client.post(reverse("logout"))

    sign_in(client, "ada")
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]})["Location"] == LANDING
    client.post(reverse("logout"))

    sign_in(client, "ada")
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200 and "Incorrect code" in again.content.decode()
    assert client.get(WATCHLIST).status_code == 302


def test_require_2fa_sends_a_user_without_it_to_enrolment_first(client, settings):
    settings.REQUIRE_2FA = True
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    blocked = client.get(WATCHLIST)
    assert blocked.status_code == 302 and blocked["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("alerts:events"))["Location"] == reverse("mfa_activate_totp")
    enrol_totp(client)
    assert client.get(WATCHLIST).status_code == 200


def test_without_require_2fa_no_enrolment_is_asked_for(client):
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    assert client.get(WATCHLIST).status_code == 200


def test_require_2fa_enrolment_right_after_sign_in_asks_no_password_again(client, settings):
    settings.REQUIRE_2FA = True
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, page.get("Location")
    assert "form" in page.context


def test_a_sign_in_long_ago_still_needs_the_password_again_to_enrol(client, settings):
    import time

    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    settings.REQUIRE_2FA = True
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] = time.time() - 3600
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 302 and page["Location"].startswith(reverse("account_reauthenticate"))


def test_the_recovery_codes_page_offers_download_and_generate_as_separate_buttons(client):
    import re

    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    enrol_totp(client)
    html = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    actions = html[html.index('id="recovery-code-actions"'):]
    actions = actions[: actions.index("</p>")]
    links = re.findall(r'<a href="([^"]+)" role="button"[^>]*>([^<]+)</a>', actions)
    assert links == [
        (reverse("mfa_download_recovery_codes"), "Download codes"),
        (reverse("mfa_generate_recovery_codes"), "Generate new codes"),
    ]
