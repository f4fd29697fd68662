"""Secrets in URLs (unsubscribe and password-reset links) never reach a log.

The real gunicorn, started as docker-compose.yml starts it plus an access-log
file, serves an unsubscribe link; its access log and its output are grepped.
"""

import re
import secrets

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver

from alerts.models import AlertPreference
from dashboard.logging import REDACTED, SECRET_URL_PREFIXES, redact
from tests.ops.compose_processes import free_port, json_lines, production_env, service_command, start
from tests.waiting import wait_for

SECRET_PARAMETER = re.compile(r"token|key|secret|signature", re.I)


def test_redact_removes_the_secret_part_of_secret_urls_wherever_it_appears():
    token = secrets.token_urlsafe(32)
    lines = [
        f'127.0.0.1 - - "GET /alerts/unsubscribe/{token}/ HTTP/1.1" 200',
        f'"POST /alerts/unsubscribe/{token}/ HTTP/1.1" 200 "https://m.example.com/alerts/unsubscribe/{token}/"',
        f"Not Found: /alerts/unsubscribe/{token}/",
        f'"GET /alerts/unsubscribe/{token} HTTP/1.1" 301',  # before the trailing-slash redirect
        f'"GET /alerts%2Funsubscribe%2F{token}/ HTTP/1.1" 404',
        f"GET /accounts/reset/MQ/{token}/",
    ]
    for line in lines:
        clean = redact(line)
        assert token not in clean and REDACTED in clean, line
    assert redact("GET /alerts/settings/ HTTP/1.1") == "GET /alerts/settings/ HTTP/1.1"


def test_redact_removes_a_token_sent_as_a_query_parameter(settings):
    settings.METRICS_TOKEN = secrets.token_urlsafe(24)
    lines = [
        f'127.0.0.1 - - "GET /metrics?token={settings.METRICS_TOKEN} HTTP/1.1" 401',
        f"<WSGIRequest: GET '/metrics?format=text&token={settings.METRICS_TOKEN}'>",
        f"Bearer {settings.METRICS_TOKEN}",  # the metrics token wherever it appears
        "GET /metrics?api_key=abc123xyz HTTP/1.1",
    ]
    for line in lines:
        clean = redact(line)
        assert settings.METRICS_TOKEN not in clean and "abc123xyz" not in clean and REDACTED in clean, line
    assert redact("GET /incidents/?status=open&page=2 HTTP/1.1") == "GET /incidents/?status=open&page=2 HTTP/1.1"


def _patterns(resolver, prefix="/"):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def test_every_url_with_a_secret_parameter_is_redacted():
    """A new URL whose path carries a token must add its prefix to SECRET_URL_PREFIXES."""
    secret_routes = []
    for route, pattern in _patterns(get_resolver()):
        names = list(pattern.pattern.regex.groupindex)
        # A database id (token_id) names a row, it is no secret.
        if any(SECRET_PARAMETER.search(name) and not name.endswith("_id") for name in names):
            secret_routes.append(route)
            sample = "s3cr3t" + secrets.token_hex(8)
            path = re.sub(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", sample, route)
            # A regex route (allauth's) joins its parent's prefix with its own anchors.
            path = path.replace("^", "").replace("$", "")
            assert sample not in redact(f"GET {path} HTTP/1.1"), f"{route} leaks its secret into logs"
    assert "/alerts/unsubscribe/<str:token>/" in secret_routes
    assert all(prefix.startswith("/") and prefix.endswith("/") for prefix in SECRET_URL_PREFIXES)


@pytest.mark.slow
def test_gunicorn_access_log_and_output_never_hold_an_opt_out_token(transactional_db, owner, tmp_path):
    preference = AlertPreference.objects.create(user=owner)
    token = preference.opt_out_token
    stale = secrets.token_urlsafe(32)  # an old link: answers 404, which Django logs with its path
    reset = secrets.token_urlsafe(20)
    metrics_token = secrets.token_urlsafe(24)
    port = free_port()
    env = production_env(
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_MANIFEST="false",
        CELERY_BROKER_URL="filesystem://",
        METRICS_TOKEN=metrics_token,
    )
    web = start("log-secrets-web", service_command("web", var_dir=tmp_path, bind=f"127.0.0.1:{port}"), env)
    base = f"http://127.0.0.1:{port}"
    try:

        def up():
            assert web.popen.poll() is None, web.output()
            try:
                return requests.get(f"{base}/healthz", timeout=5)
            except requests.ConnectionError:
                return None

        wait_for(up, timeout=60, message="gunicorn to answer /healthz")
        link = f"{base}/alerts/unsubscribe/{token}/"
        assert requests.get(link, timeout=10).status_code == 200
        # The confirmation form posts back with the page as Referer, as a browser does.
        assert requests.post(link, headers={"Referer": link}, timeout=10).status_code == 200
        assert requests.get(f"{base}/alerts/unsubscribe/{stale}/", timeout=10).status_code == 404
        no_slash = requests.get(f"{base}/alerts/unsubscribe/{token}", timeout=10, allow_redirects=False)
        assert no_slash.status_code == 301
        requests.get(f"{base}/accounts/reset/MQ/{reset}/", timeout=10)
        # A scraper configured with the token in the URL: refused (the header is the way),
        # and neither gunicorn's access line nor django.request's warning keeps it.
        assert requests.get(f"{base}/metrics?token={metrics_token}", timeout=10).status_code == 401
        preference.refresh_from_db()
        assert preference.enabled is False  # the requests did reach the app

    finally:
        web.stop()

    output = web.output()
    for secret in (token, stale, reset, metrics_token):
        assert secret not in output
    assert any("/metrics?token=" + REDACTED in r["message"] for r in json_lines(output) if r["logger"] == "gunicorn.access")
    # gunicorn's access log (one JSON line per request, as in production) is there, minus the secrets.
    access = [r["message"] for r in json_lines(output) if r["logger"] == "gunicorn.access"]
    assert sum("/alerts/unsubscribe/" in line for line in access) == 4, access
    assert any(f'"GET /alerts/unsubscribe/{REDACTED}/ HTTP/1.1" 200' in line for line in access)
    # The referer of the confirmation's POST too.
    posts = [line for line in access if line.startswith("127.0.0.1 - - [") and '"POST ' in line]
    assert len(posts) == 1 and posts[0].count(f"/alerts/unsubscribe/{REDACTED}/") == 2, posts
    assert f"Not Found: /alerts/unsubscribe/{REDACTED}/" in output
