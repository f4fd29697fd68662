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
