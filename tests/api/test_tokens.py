"""Personal API tokens: hashed at rest, scoped, expiring, revocable; the page and the command."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from api import tokens
from api.models import ApiToken, Scope
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

NEW_WATCH = {"uuids": ["6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"]}


def test_a_token_is_stored_only_as_its_hash(owner):
    token, raw = tokens.create_token(owner, "ci", Scope.READ)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert not any(raw in value for value in stored)
    assert raw.startswith(token.prefix) and len(raw) > 40


def test_a_read_token_reads_but_cannot_write(client, owner):
    headers = bearer(owner, Scope.READ)
    assert client.get("/api/v1/watches", **headers).status_code == 200
    response = client.post("/api/v1/watches", NEW_WATCH, content_type="application/json", **headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert not owner.watches.exists()


def test_a_write_token_writes(client, owner):
    response = client.post("/api/v1/watches", NEW_WATCH, content_type="application/json", **bearer(owner))
    assert response.status_code == 201
    assert owner.watches.count() == 1


def test_an_expired_token_is_refused(client, owner):
    headers = bearer(owner, expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/watches", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_not_yet_expired_works(client, owner):
    headers = bearer(owner, expires_at=timezone.now() + timedelta(days=1))
    assert client.get("/api/v1/watches", **headers).status_code == 200


def test_a_revoked_token_is_refused(client, owner):
    headers = bearer(owner)
    assert client.get("/api/v1/watches", **headers).status_code == 200
    tokens.revoke(ApiToken.objects.get(user=owner))
    response = client.get("/api/v1/watches", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_an_unknown_token_and_no_token_answer_401_in_the_error_shape(client, owner):
    response = client.get("/api/v1/watches", HTTP_AUTHORIZATION="Bearer pm_not-a-real-token")
    assert response.status_code == 401
    assert set(response.json()) >= {"code", "message"}
    response = client.get("/api/v1/watches")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_an_inactive_users_token_stops_working(client, owner):
    headers = bearer(owner)
    owner.is_active = False
    owner.save()
    assert client.get("/api/v1/watches", **headers).status_code == 401


def test_last_used_is_recorded(client, owner):
    headers = bearer(owner)
    client.get("/api/v1/watches", **headers)
    assert ApiToken.objects.get(user=owner).last_used_at is not None


# --- session auth -----------------------------------------------------------------------


def test_the_session_works_for_reads_and_needs_csrf_for_writes(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get("/api/v1/watches").status_code == 200
    response = browser.post("/api/v1/watches", NEW_WATCH, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not owner.watches.exists()
    browser.get("/api-tokens/")  # sets the CSRF cookie, as any page does
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/watches", NEW_WATCH, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201


# --- the command -----------------------------------------------------------------------------


def test_the_command_prints_a_working_token(client, owner):
    out, err = StringIO(), StringIO()
    call_command("api_token", "--user", "owner", "--scope", "write", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert ApiToken.objects.get(user=owner).scope == Scope.WRITE
    assert "not stored" in err.getvalue()
    response = client.post(
        "/api/v1/watches", NEW_WATCH, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 201


def test_the_command_defaults_to_read(owner):
    call_command("api_token", "--user", "owner", stdout=StringIO(), stderr=StringIO())
    assert ApiToken.objects.get(user=owner).scope == Scope.READ


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("api_token", "--user", "ghost", stdout=StringIO(), stderr=StringIO())


# --- the page -------------------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get("/api-tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_creating_a_token_shows_it_once(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/api-tokens/")
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/api-tokens/", {"name": "ticketing", "scope": "write", "expires": "30", "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=owner)
    raw = response.context["new_token"]["raw"]
    assert raw in response.content.decode() and token.scope == Scope.WRITE
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    page = browser.get("/api-tokens/").content.decode()
    assert raw not in page and token.prefix in page and "ticketing" in page


def test_creating_needs_csrf_and_a_name(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post("/api-tokens/", {"name": "x", "scope": "read"}).status_code == 403
    browser.get("/api-tokens/")
    csrf = browser.cookies["csrftoken"].value
    response = browser.post("/api-tokens/", {"name": "  ", "scope": "read", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 400 and "Give the token a name." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page(client, owner):
    headers = bearer(owner)
    token = ApiToken.objects.get(user=owner)
    client.force_login(owner)
    response = client.post(f"/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert client.get("/api/v1/watches", **headers).status_code == 401


def test_nobody_revokes_another_users_token(client, owner, other_user):
    headers = bearer(other_user)
    token = ApiToken.objects.get(user=other_user)
    client.force_login(owner)
    assert client.post(f"/api-tokens/{token.pk}/revoke/").status_code == 404
    client.logout()
    assert client.get("/api/v1/watches", **headers).status_code == 200


def test_require_2fa_refuses_the_token_of_a_user_without_two_factor_until_they_enrol(client, owner, settings):
    from allauth.mfa.models import Authenticator

    headers = bearer(owner, Scope.READ)
    settings.REQUIRE_2FA = True
    for path in ("/api/v1/watches", "/api/v1/exports/watchlist.csv"):
        refused = client.get(path, **headers)
        assert refused.status_code == 401, path
        assert refused.json()["code"] == "two_factor_required"
        assert "Two-factor sign-in is required" in refused.json()["message"]
    Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/api/v1/watches", **headers).status_code == 200
    assert client.get("/api/v1/exports/watchlist.csv", **headers).status_code == 200
