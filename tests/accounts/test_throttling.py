"""Failed sign-ins are throttled per account and per address, on the site's and the admin's login."""

import pytest
from django.urls import reverse

from accounts import roles
from tests.accounts.flows import sign_in
from tests.accounts.helpers import user_in_role
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.django_db

REFUSED = "Too many failed sign-in attempts"


@pytest.fixture
def shared_cache(settings, redis_client, redis_url):
    # The counts live in Redis, shared by every web process, as in production.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}


def _fail(client, username, times):
    for _ in range(times):
        response = sign_in(client, username, password="wrong-password")
        assert REFUSED not in response.content.decode()


def test_after_five_failures_even_the_right_password_is_refused(client, shared_cache):
    user_in_role("ada", roles.VIEWER)
    _fail(client, "ada", 5)
    refused = sign_in(client, "ada")
    assert refused.status_code == 200 and REFUSED in refused.content.decode()
    assert client.get(reverse("executions:watchlist")).status_code == 302
    # Other accounts are not locked by it.
    user_in_role("bob", roles.VIEWER)
    assert sign_in(client, "bob")["Location"] == reverse("monitors:overview")


def test_an_unknown_account_gets_the_same_answer(client, shared_cache):
    _fail(client, "nobody", 5)
    assert REFUSED in sign_in(client, "nobody").content.decode()


def test_the_window_ends(client, shared_cache, settings, redis_client):
    user_in_role("ada", roles.VIEWER)
    _fail(client, "ada", 5)
    assert REFUSED in sign_in(client, "ada").content.decode()
    redis_client.flushdb()  # what the end of the 15-minute window does to the counts
    assert sign_in(client, "ada")["Location"] == reverse("monitors:overview")


def test_per_address_limit_covers_many_accounts(client, shared_cache, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/900s/ip,5/900s/key"}
    for name in ("a1", "a2", "a3"):
        _fail(client, name, 1)
    user_in_role("ada", roles.VIEWER)
    assert REFUSED in sign_in(client, "ada").content.decode()


def test_the_admin_login_is_the_throttled_site_login(client, shared_cache, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    # The admin's own form never signs anyone in: it sends to the site's login.
    direct = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})
    assert direct.status_code == 302 and direct["Location"].startswith(reverse("login"))
    assert client.get(reverse("admin:index")).status_code == 302
    _fail(client, "boss", 5)
    assert REFUSED in sign_in(client, "boss", next_url=reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_default_limits_are_five_per_account_in_fifteen_minutes(settings):
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "20/900s/ip,5/900s/key"


def test_turning_the_throttle_off_lets_the_sixth_attempt_in(client, shared_cache, settings):
    # The control for the tests above: without the limit the same sequence signs in.
    settings.ACCOUNT_RATE_LIMITS = False
    user_in_role("ada", roles.VIEWER)
    _fail(client, "ada", 5)
    assert sign_in(client, "ada")["Location"] == reverse("monitors:overview")


# --- the one password flow (allauth's): throttled, audited, and what a reset does to a lock ---

def _reset_link(smtp_server, count):
    import re

    from tests.fixtures.smtp import body

    message = smtp_server.wait_for_count(count)[-1]
    return re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", body(message, "plain")).group(1)


def _complete_reset(client, link, new_password):
    form = client.get(link, follow=True)
    return client.post(form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})


def test_reset_emails_are_throttled(client, shared_cache, smtp_server):
    user_in_role("ada", roles.VIEWER)
    answers = [client.post(reverse("account_reset_password"), {"email": "ada@example.com"}).status_code
               for _ in range(12)]
    assert answers[:3] == [302] * 3 and set(answers[3:]) == {429}
    assert len(smtp_server.received()) == 3


def test_wrong_current_passwords_are_throttled_on_the_change_page(client, shared_cache):
    user = user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    url = reverse("account_change_password")
    new = {"password1": "a-new-pass-phrase-42", "password2": "a-new-pass-phrase-42"}
    answers = [client.post(url, {"oldpassword": f"wrong-{n}", **new}).status_code for n in range(15)]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}
    # Past the limit even the right one is refused until the window ends.
    assert client.post(url, {"oldpassword": PASSWORD, **new}).status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # Django's own page, unthrottled before, only leads here now.
    assert client.get("/accounts/password_change/")["Location"] == url


def test_own_password_change_and_reset_are_audited(client, shared_cache, smtp_server):
    from audit.models import AuditEvent

    user_in_role("ada", roles.VIEWER)
    sign_in(client, "ada")
    changed = client.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": "a-new-pass-phrase-42", "password2": "a-new-pass-phrase-42"})
    assert changed.status_code == 302
    client.post(reverse("logout"))
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    assert _complete_reset(client, _reset_link(smtp_server, 1), "another-pass-phrase-43").status_code == 302
    rows = AuditEvent.objects.filter(action="auth.password_change").order_by("pk")
    assert [(r.actor_name, r.target, r.after) for r in rows] == [
        ("ada", "user:ada", {"how": "own"}), ("ada", "user:ada", {"how": "reset"})]


def test_the_lockout_links_to_the_reset_and_a_completed_reset_lifts_the_lock(client, shared_cache, smtp_server):
    user_in_role("ada", roles.VIEWER)
    _fail(client, "ada", 5)
    locked = sign_in(client, "ada").content.decode()
    assert REFUSED in locked and "a completed reset lifts the lock" in locked
    assert f'href="{reverse("account_reset_password")}" id="lockout-reset"' in locked
    client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    assert _complete_reset(client, _reset_link(smtp_server, 1), "a-new-pass-phrase-42").status_code == 302
    assert sign_in(client, "ada", password="a-new-pass-phrase-42")["Location"] == reverse("monitors:overview")


def test_the_admins_own_password_page_leads_to_the_one_flow(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client.force_login(boss)
    response = client.get(reverse("admin:password_change"))
    assert response.status_code == 302 and response["Location"] == reverse("account_change_password")
