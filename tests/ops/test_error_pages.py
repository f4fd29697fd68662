"""With DEBUG off, every error is our page (in the site's layout), never Django's technical one."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error


@pytest.mark.django_db
def test_404_is_our_page_and_lists_no_url_patterns(owner_client):
    response = owner_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert "Page not found" in text and "URLconf" not in text
    assert "Content-Security-Policy" in response.headers


@pytest.mark.django_db
def test_400_for_a_host_we_do_not_serve():
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


@pytest.mark.django_db
def test_403_for_a_form_without_its_csrf_token():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_500_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong" in text and "/static/css/app.css" in text
