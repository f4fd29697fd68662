"""Every audited action writes exactly one row, and no row holds a secret."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import roles
from audit.models import AppendOnly, AuditEvent
from executions.models import Watch
from tests.accounts.flows import enrol_totp, sign_in
from tests.accounts.helpers import user_in_role
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.django_db


def rows(action):
    return list(AuditEvent.objects.filter(action=action))


def all_rows_text():
    return json.dumps(list(AuditEvent.objects.values()), default=str)


def test_each_action_writes_one_row_without_secrets(client, redis_client, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    ada = user_in_role("ada", roles.VIEWER)

    sign_in(client, "ada", password="a-wrong-guess-123")
    [failed] = rows("auth.sign_in_failed")
    assert failed.actor_name == "ada" and failed.ip == "127.0.0.1"

    sign_in(client, "ada")
    [signed_in] = rows("auth.sign_in")
    assert signed_in.actor == ada and signed_in.after == {"method": "password"}

    totp = enrol_totp(client)
    [enrolled] = rows("mfa.enrol")
    assert enrolled.after == {"type": "totp"}

    uuid = "6f0a3c7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"
    client.post(reverse("executions:add"), {"uuids": uuid, "label": "mine"})
    [added] = rows("watch.add")
    assert added.after == {"executions": [uuid], "label": "mine"} and added.actor == ada

    client.post(reverse("executions:unwatch", kwargs={"uuid": uuid}))
    [removed] = rows("watch.remove")
    assert removed.target == f"execution:{uuid}" and not Watch.objects.filter(user=ada).exists()

    client.post(reverse("accounts:profile"), {"time_zone": "Asia/Tokyo"})
    [profile] = rows("profile.update")
    assert profile.before == {"time_zone": "Europe/London"} and profile.after == {"time_zone": "Asia/Tokyo"}

    client.post(reverse("mfa_deactivate_totp"))
    [gone] = rows("mfa.remove")
    assert gone.before == {"type": "totp"}

    client.post(reverse("logout"))
    [out] = rows("auth.sign_out")
    assert out.actor == ada

    text = all_rows_text()
    for secret in (PASSWORD, "a-wrong-guess-123", totp.secret):
        assert secret not in text


def test_a_role_change_in_the_admin_writes_one_row(admin_client, admin_user):
    ada = user_in_role("ada", roles.VIEWER)
    data = {"username": "ada", "email": "ada@example.com", "role": "Operator", "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "1", "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1", "profile-0-time_zone": "Europe/London",
            "profile-0-id": ada.profile.pk, "profile-0-user": ada.pk}
    response = admin_client.post(reverse("admin:auth_user_change", args=[ada.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert roles.role_of(get_user_model().objects.get(pk=ada.pk)) == roles.OPERATOR
    [change] = rows("role.change")
    assert change.before == {"role": "Viewer"} and change.after == {"role": "Operator"}
    assert change.actor == admin_user and change.target == "user:ada"


def test_sign_out_everywhere_ends_other_sessions_with_one_row(client, django_user_model):
    from django.test import Client

    user_in_role("ada", roles.VIEWER)
    other = Client()
    sign_in(other, "ada")
    sign_in(client, "ada")
    assert other.get(reverse("executions:watchlist")).status_code == 200
    response = client.post(reverse("accounts:sign_out_everywhere"), follow=True)
    assert "You are logged out on every device" in response.content.decode()
    assert other.get(reverse("executions:watchlist")).status_code == 302
    assert client.get(reverse("executions:watchlist")).status_code == 302
    assert len(rows("auth.sign_out_everywhere")) == 1 and rows("auth.sign_out") == []


def test_secrets_passed_by_a_caller_are_redacted():
    import audit

    audit.record("channel.update", target="channel:1",
                 before={"webhook_url": "https://hooks.example/abc"}, after={"name": "Ops", "api_token": "t0k"})
    [row] = rows("channel.update")
    assert row.before == {"webhook_url": "[redacted]"} and row.after == {"name": "Ops", "api_token": "[redacted]"}


def test_rows_are_append_only_and_pruned_after_the_retention_period(settings):
    from django.utils import timezone

    import audit
    from audit.tasks import prune_audit_log

    old = audit.record("auth.sign_out", at=timezone.now() - timezone.timedelta(days=401))
    recent = audit.record("auth.sign_out", at=timezone.now() - timezone.timedelta(days=399))
    with pytest.raises(AppendOnly):
        recent.save()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()
    assert prune_audit_log() == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_the_audit_page_filters_and_exports_csv(client, django_user_model):
    import audit

    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    audit.record("watch.add", actor=boss, target="user:boss")
    audit.record("auth.sign_in_failed", actor_name="=cmd|evil", target="user:x")
    client.force_login(boss)
    page = client.get(reverse("audit:events"), {"action": "watch"})
    assert page.status_code == 200
    assert "watch.add" in page.content.decode() and "sign_in_failed" not in page.content.decode()
    csv_text = b"".join(client.get(reverse("audit:export")).streaming_content).decode()
    assert "watch.add" in csv_text and "'=cmd|evil" in csv_text
    assert client.get(reverse("audit:events"), {"actor": "a\x00b"}).status_code == 400


def test_a_wrong_second_factor_is_one_failed_sign_in(client, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    enrol_totp(client)
    client.post(reverse("logout"))
    sign_in(client, "ada")
    before = AuditEvent.objects.filter(action="auth.sign_in_failed").count()
    client.post(reverse("mfa_authenticate"), {"code": "12345x"})
    [row] = AuditEvent.objects.filter(action="auth.sign_in_failed")[: before + 1]
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() == before + 1
    assert row.after == {"step": "2fa"} and "12345x" not in all_rows_text()


def test_sign_out_everywhere_offers_to_revoke_api_tokens_too(client, django_user_model):
    from api import tokens
    from api.models import ApiToken

    user = django_user_model.objects.create_user("ada", password="pw-123-long-enough")
    _, raw = tokens.create_token(user, "script")
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="revoke_api_tokens"' in page and "Also revoke my API tokens (1 active)" in page
    # Without the box ticked the token keeps working; with it, it stops.
    client.post(reverse("accounts:sign_out_everywhere"))
    assert client.get("/api/v1/watches", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    client.force_login(user)
    done = client.post(reverse("accounts:sign_out_everywhere"), {"revoke_api_tokens": "on"}, follow=True)
    assert "1 API token(s) revoked." in done.content.decode()
    assert client.get("/api/v1/watches", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="auth.sign_out_everywhere").order_by("pk").last().after["api_access_revoked"] == 1
