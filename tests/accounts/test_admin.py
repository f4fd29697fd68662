import pytest
from django.urls import reverse

from accounts import roles
from tests.accounts.helpers import user_in_role

pytestmark = pytest.mark.django_db


def test_an_admin_cannot_make_anyone_a_superuser(client):
    admin = user_in_role("adminish", roles.ADMIN)
    client.force_login(admin)
    page = client.get(reverse("admin:auth_user_change", args=[admin.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    assert 'name="role"' in page.content.decode()


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-phrase-42")


def test_an_admin_cannot_set_a_superusers_password_nor_change_them(client):
    from django.contrib.auth.models import Group

    root = _superuser()
    before = root.password
    client.force_login(user_in_role("adminish", roles.ADMIN))
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(password_url).status_code == 403
    taken = client.post(password_url, {"password1": "taken-over-pass-42", "password2": "taken-over-pass-42"})
    assert taken.status_code == 403
    change_url = reverse("admin:auth_user_change", args=[root.pk])
    stripped = client.post(change_url, {"username": "root", "role": roles.VIEWER, "is_active": "on"})
    assert stripped.status_code == 403
    assert client.post(reverse("admin:auth_user_delete", args=[root.pk]), {"post": "yes"}).status_code == 403
    root.refresh_from_db()
    assert root.password == before and root.is_active
    assert set(root.groups.values_list("name", flat=True)) == {roles.ADMIN}
    assert Group.objects.filter(name=roles.ADMIN).exists()


def test_a_password_set_by_an_admin_is_audited_and_a_superuser_may_change_a_superuser(client):
    from audit.models import AuditEvent

    viewer = user_in_role("vera", roles.VIEWER)
    admin = user_in_role("adminish", roles.ADMIN)
    client.force_login(admin)
    done = client.post(reverse("admin:auth_user_password_change", args=[viewer.pk]),
                       {"password1": "a-new-pass-phrase-42", "password2": "a-new-pass-phrase-42"})
    assert done.status_code == 302
    row = AuditEvent.objects.get(action="auth.password_change")
    assert (row.actor, row.target, row.after) == (admin, "user:vera", {"how": "admin"})

    root, other = _superuser(), None
    from django.contrib.auth import get_user_model

    other = get_user_model().objects.create_superuser("root2", "root2@example.com", "root-pass-phrase-42")
    client.force_login(root)
    ok = client.post(reverse("admin:auth_user_password_change", args=[other.pk]),
                     {"password1": "a-new-pass-phrase-43", "password2": "a-new-pass-phrase-43"})
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_change", target="user:root2").count() == 1
