"""Production settings: strict start-up, HTTPS-derived security, check --deploy.

Each case starts a fresh Python so that settings are read from the environment
it is given, as a real process would read them.
"""

import json
import secrets

import pytest

from tests.ops.processes import ROOT, clean_env, read_env_file, run_manage, run_python

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in %r}, default=str))
"""

SECURITY = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
]


def settings_of(env):
    result = run_python(PRINT_SETTINGS % (SECURITY,), env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env(tmp_path, **values):
    return clean_env(tmp_path, SECRET_KEY=secrets.token_urlsafe(50), **values)


def test_missing_secret_key_with_debug_off_stops_start_up_with_a_clear_message(tmp_path):
    result = run_python("import django; django.setup()", clean_env(tmp_path))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_debug_is_off_unless_turned_on(tmp_path):
    assert settings_of(production_env(tmp_path))["DEBUG"] is False
    # The embedded run turns it on, and then no SECRET_KEY is needed.
    assert settings_of(clean_env(tmp_path, DEBUG="true"))["DEBUG"] is True


def test_malformed_boolean_names_the_variable(tmp_path):
    result = run_python("import django; django.setup()", production_env(tmp_path, DEBUG="maybe"))
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_https_site_turns_on_secure_cookies_hsts_and_redirect(tmp_path):
    values = settings_of(production_env(tmp_path, SITE_URL="https://monitor.example.com"))
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert "monitor.example.com" in values["ALLOWED_HOSTS"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://monitor.example.com"]


def test_plain_http_site_sends_no_hsts_and_no_secure_cookies(tmp_path):
    values = settings_of(production_env(tmp_path, SITE_URL="http://localhost:8000"))
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_SSL_REDIRECT"] is False


def test_allowed_hosts_and_csrf_origins_come_from_the_environment(tmp_path):
    values = settings_of(
        production_env(
            tmp_path,
            SITE_URL="https://monitor.example.com",
            ALLOWED_HOSTS="a.example.com, b.example.com",
            CSRF_TRUSTED_ORIGINS="https://a.example.com,https://b.example.com",
            TRUST_X_FORWARDED_PROTO="true",
        )
    )
    assert values["ALLOWED_HOSTS"] == ["a.example.com", "b.example.com"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://a.example.com", "https://b.example.com"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_check_deploy_is_clean_with_the_production_values_of_env_example(tmp_path):
    values = read_env_file(ROOT / ".env.example")
    assert values["DEBUG"] == "false"
    env = clean_env(tmp_path, **dict(values, SECRET_KEY=secrets.token_urlsafe(50)))
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


PLACEHOLDER_REFUSED = "SECRET_KEY is still the placeholder from .env.example"


def test_the_placeholder_secret_key_of_env_example_is_refused_at_start_up(tmp_path):
    """A copied .env.example, SECRET_KEY left as it is: no production process starts."""
    values = read_env_file(ROOT / ".env.example")
    assert values["SECRET_KEY"].startswith("CHANGE")
    result = run_python("import django; django.setup()", clean_env(tmp_path, **values))
    assert result.returncode != 0
    assert PLACEHOLDER_REFUSED in result.stderr
    assert values["SECRET_KEY"] not in result.stderr  # the message names it, it does not echo it


def test_check_deploy_reports_the_placeholder_secret_key(tmp_path):
    values = read_env_file(ROOT / ".env.example")
    result = run_manage(["check", "--deploy"], clean_env(tmp_path, **values))
    assert result.returncode != 0
    assert PLACEHOLDER_REFUSED in result.stdout + result.stderr


def test_check_deploy_does_flag_an_insecure_configuration(tmp_path):
    # The same check, proving it can fail: plain HTTP and a short key.
    env = clean_env(tmp_path, SECRET_KEY="short", SITE_URL="http://monitor.example.com")
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W009" in output  # SECRET_KEY
    assert "security.W004" in output  # HSTS


@pytest.mark.parametrize("path", ["/healthz"])
def test_health_check_is_exempt_from_the_https_redirect(tmp_path, path):
    code = (
        """
import django; django.setup()
from django.test import Client
response = Client().get(%r, HTTP_HOST="monitor.example.com")
print(response.status_code)
"""
        % path
    )
    env = production_env(
        tmp_path,
        SITE_URL="https://monitor.example.com",
        CELERY_BROKER_URL="filesystem://",
        STATIC_MANIFEST="false",
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "200"

    login = run_python(code.replace(repr(path), repr("/accounts/login/")), env)
    assert login.stdout.strip().splitlines()[-1] == "301"
