"""Sign-in steps through the real pages, for the accounts tests."""

import time

import pyotp
from django.urls import reverse

from tests.fixtures.users import PASSWORD


def sign_in(client, username, password=PASSWORD, next_url=None):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def enrol_totp(client):
    """Activate TOTP for the signed-in user: returns the pyotp.TOTP of its secret."""
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302 and page["Location"].startswith(reverse("account_reauthenticate")):
        # allauth asks for the password again before any 2FA change.
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200, (page.status_code, page.get("Location"), [str(m) for m in page.wsgi_request._messages])
    totp = pyotp.TOTP(page.context["form"].secret)
    done = client.post(reverse("mfa_activate_totp"), {"code": totp.now()})
    assert done.status_code == 302, done.content.decode()[:2000]
    return totp


def next_code(totp):
    # The code of the next period: the one just used cannot be used twice.
    return totp.at(time.time() + 30)
