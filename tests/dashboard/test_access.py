import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from executions.models import Watch
from tests.builders import watch
from tests.dashboard.helpers import HTMX, text_of
from tests.fixtures.smtp import body, header, subject
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def pages(execution_uuid):
    return [
        ("get", reverse("executions:watchlist")),
        ("get", reverse("executions:watchlist_rows")),
        ("post", reverse("executions:add")),
        ("get", reverse("executions:detail", kwargs={"uuid": execution_uuid})),
        ("get", reverse("executions:live", kwargs={"uuid": execution_uuid})),
        ("post", reverse("executions:poll", kwargs={"uuid": execution_uuid})),
        ("post", reverse("executions:label", kwargs={"uuid": execution_uuid})),
        ("post", reverse("executions:unwatch", kwargs={"uuid": execution_uuid})),
    ]


@pytest.mark.parametrize("index", range(8))
def test_an_unauthenticated_request_is_redirected_to_login(client, owner, index):
    w = watch(owner)
    method, path = pages(w.execution.uuid)[index]
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={path}"
    assert Watch.objects.filter(pk=w.pk).exists()


def test_an_unauthenticated_htmx_request_sends_the_whole_page_to_login(client):
    response = client.get(
        reverse("executions:watchlist_rows"),
        headers={**HTMX, "HX-Current-URL": "http://testserver/?status=failed"},
    )
    assert response["HX-Redirect"] == f"{LOGIN}?next=/?status=failed"


@pytest.mark.parametrize("index", range(3, 8))
def test_another_users_execution_answers_404(client, owner, other_user, redis_client, index):
    theirs = watch(other_user, label="theirs")
    client.force_login(owner)
    method, path = pages(theirs.execution.uuid)[index]
    response = getattr(client, method)(path, {"label": "hijacked"}, headers=HTMX)
    assert response.status_code == 404
    assert Watch.objects.get(pk=theirs.pk).label == "theirs"


def test_an_unknown_execution_answers_404(owner_client):
    assert owner_client.get(reverse("executions:detail", kwargs={"uuid": uuid.uuid4()})).status_code == 404


def test_a_shared_execution_is_visible_to_each_watcher_with_their_own_label(client, owner, other_user):
    theirs = watch(other_user, label="their label")
    watch(owner, execution=theirs.execution, label="my label")
    client.force_login(owner)
    text = text_of(client.get(reverse("executions:detail", kwargs={"uuid": theirs.execution.uuid})))
    assert "my label" in text and "their label" not in text


def test_an_htmx_post_without_the_csrf_token_is_refused(owner, redis_client):
    w = watch(owner, label="before")
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    path = reverse("executions:label", kwargs={"uuid": w.execution.uuid})

    refused = client.post(path, {"label": "after"}, headers=HTMX)
    assert refused.status_code == 403
    assert Watch.objects.get(pk=w.pk).label == "before"

    # The same request with the token htmx sends from <body hx-headers> goes through.
    page = client.get(reverse("executions:detail", kwargs={"uuid": w.execution.uuid})).content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    accepted = client.post(path, {"label": "after"}, headers={**HTMX, "X-CSRFToken": token})
    assert accepted.status_code == 200
    assert Watch.objects.get(pk=w.pk).label == "after"


def test_every_form_carries_a_csrf_token(owner_client, owner):
    w = watch(owner)
    detail = reverse("executions:detail", kwargs={"uuid": w.execution.uuid})
    for path in (reverse("executions:watchlist"), detail):
        html = owner_client.get(path).content.decode()
        post_forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S)
        assert post_forms
        for form in post_forms:
            assert 'name="csrfmiddlewaretoken"' in form


def test_log_in_and_log_out(client, owner):
    page = client.get(LOGIN)
    assert page.status_code == 200 and "Forgotten your password?" in text_of(page)

    bad = client.post(LOGIN, {"username": "owner", "password": "wrong"})
    assert bad.status_code == 200
    assert "Please enter a correct username and password" in text_of(bad)

    good = client.post(LOGIN, {"username": "owner", "password": PASSWORD})
    assert good["Location"] == reverse("monitors:overview")  # the landing page (issue 11)
    assert client.get(reverse("executions:watchlist")).status_code == 200

    out = client.post(reverse("logout"))
    assert out.status_code == 302 and out["Location"] == LOGIN
    assert client.get(reverse("executions:watchlist")).status_code == 302


def test_password_reset_goes_by_email(client, owner, smtp_server):
    # Django's old address leads to allauth's page, the one reset flow.
    assert client.get("/accounts/password_reset/")["Location"] == reverse("account_reset_password")
    response = client.post(reverse("account_reset_password"), {"email": owner.email})
    assert response["Location"] == reverse("account_reset_password_done")
    [message] = smtp_server.wait_for_count(1)
    assert header(message, "To") == owner.email
    assert subject(message) == "[Plannr monitor] Reset your password"
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", body(message, "plain")).group(1)
    assert f'href="http://testserver{link}"' in body(message, "html")

    form = client.get(link, follow=True)
    new_password = "a-new-pass-phrase-42"
    done = client.post(form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    assert client.login(username="owner", password=new_password)
    # The link works once.
    assert "Bad Token" in text_of(client.get(link, follow=True))


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, owner, smtp_server):
    known = client.post(reverse("account_reset_password"), {"email": owner.email}, follow=True)
    smtp_server.wait_for_count(1)
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True)
    assert text_of(unknown) == text_of(known)
    assert len(smtp_server.received()) == 1


def test_admins_create_users(admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newbie", "password1": "a-new-pass-phrase-42", "password2": "a-new-pass-phrase-42",
         "usable_password": "true"},
    )
    assert response.status_code == 302
    assert Client().login(username="newbie", password="a-new-pass-phrase-42")


def test_signed_in_pages_are_never_cached(client, owner):
    """A signed-in page holds that person's data: `Cache-Control: private, no-store`."""
    client.force_login(owner)
    for url in (reverse("monitors:overview"), reverse("executions:watchlist"), reverse("alerts:events"),
                reverse("accounts:profile")):
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (url, response["Cache-Control"])


@pytest.mark.django_db
def test_the_admin_menu_names_routes_and_redaction_rules_for_admins_only(client):
    from accounts import roles as account_roles
    from tests.accounts.helpers import user_in_role

    links = ('href="/routing/routes/"', 'href="/privacy/rules/"')
    client.force_login(user_in_role("ada", account_roles.ADMIN))
    page = client.get("/overview/").content.decode()
    assert all(link in page for link in links)
    for name, role in (("olu", account_roles.OPERATOR), ("vic", account_roles.VIEWER)):
        client.force_login(user_in_role(name, role))
        page = client.get("/overview/").content.decode()
        assert not any(link in page for link in links), role
