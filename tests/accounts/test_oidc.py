"""Single sign-on end to end against a real OpenID Connect provider in a second process.

The provider is django-oauth-toolkit (tests/accounts/oidc_provider/): a real authorization
endpoint, login form, token endpoint, RS256-signed ID token, JWKS and userinfo, all over
HTTP. The "browser" is a requests session that follows every redirect between the two.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model

from accounts import roles
from audit.models import AuditEvent
from tests.fixtures.workers import ARTIFACTS
from tests.waiting import wait_for


ROOT = Path(__file__).resolve().parents[2]
IDP_PASSWORD = "idp-" + secrets.token_hex(8)
CLIENT_ID = "plannr-monitor"
CLIENT_SECRET = "s3cret-" + secrets.token_hex(8)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def provider(live_server, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    port = _free_port()
    env = {
        **os.environ,
        "OIDC_PROVIDER_DB": str(tmp_path / "idp.sqlite3"),
        "OIDC_PROVIDER_RSA_KEY": key.decode(),
        "OIDC_PROVIDER_PASSWORD": IDP_PASSWORD,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "oidc-provider.log", "w")
    callback = f"{live_server.url}/accounts/oidc/sso/login/callback/"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.accounts.oidc_provider.serve", str(port), callback],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    server_url = f"http://127.0.0.1:{port}/o"
    try:
        wait_for(lambda: process.poll() is not None or _answers(f"{server_url}/.well-known/openid-configuration"),
                 timeout=60, message="the OpenID Connect provider to answer")
        assert process.poll() is None, (ARTIFACTS / "oidc-provider.log").read_text()
        yield server_url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def configure_sso(settings, server_url):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [{
                "provider_id": "sso", "name": "Test IdP", "client_id": CLIENT_ID, "secret": CLIENT_SECRET,
                "settings": {"server_url": server_url, "scope": ["openid", "profile", "email"]},
            }],
        }
    }
    settings.OIDC_ROLE_CLAIM = "roles"
    settings.OIDC_ROLE_MAP = {"monitor.operator": roles.OPERATOR}
    return settings


def _form_fields(html):
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))


@pytest.mark.django_db(transaction=True)
def test_a_user_signs_in_with_the_identity_provider_end_to_end(live_server, provider, settings):
    configure_sso(settings, provider)
    browser = requests.Session()
    login = browser.get(f"{live_server.url}/accounts/login/")
    assert "Sign in with Test IdP" in login.text

    # Our "Sign in with ..." button: a POST that sends the browser to the provider's login form.
    token = _form_fields(login.text)["csrfmiddlewaretoken"]
    at_idp = browser.post(f"{live_server.url}/accounts/oidc/sso/login/", data={"csrfmiddlewaretoken": token},
                          headers={"Referer": login.url})
    assert urlsplit(at_idp.url).port != urlsplit(live_server.url).port and "/login/" in at_idp.url
    next_url = parse_qs(urlsplit(at_idp.url).query)["next"][0]

    # The person signs in at the provider; it sends them back with a code, which our
    # server exchanges for a signed ID token at the provider's token endpoint.
    fields = _form_fields(at_idp.text)
    signed_in = browser.post(
        urljoin(at_idp.url, "/login/"),
        data={"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "username": "erin",
              "password": IDP_PASSWORD, "next": next_url},
    )
    assert signed_in.status_code == 200, signed_in.text[:2000]
    assert signed_in.url == f"{live_server.url}/overview/"
    assert "Signed in as erin" in signed_in.text

    user = get_user_model().objects.get(username="erin")
    assert user.email == "erin@example.com"
    assert roles.role_of(user) == roles.OPERATOR  # from the "roles" claim through OIDC_ROLE_MAP
    [row] = AuditEvent.objects.filter(action="auth.sign_in")
    assert row.actor == user and row.after == {"method": "sso"}
    assert CLIENT_SECRET not in str(list(AuditEvent.objects.values()))


@pytest.mark.django_db
def test_password_sign_in_can_be_turned_off_when_sso_is_on(client, settings, django_user_model):
    from tests.fixtures.users import PASSWORD

    # The login page does not contact the provider, so none needs to run here.
    configure_sso(settings, "http://127.0.0.1:9/o")
    settings.PASSWORD_LOGIN_ENABLED = False
    django_user_model.objects.create_user("ada", password=PASSWORD)
    page = client.get("/accounts/login/")
    assert "Sign in with Test IdP" in page.content.decode() and 'id="id_password"' not in page.content.decode()
    refused = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert "Password sign-in is turned off" in refused.content.decode()
    assert client.get("/").status_code == 302
