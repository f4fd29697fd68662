"""Content-Security-Policy: only our own scripts and styles, and htmx still works under it."""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F

from executions.models import Execution
from tests.builders import watch
from tests.fixtures.users import PASSWORD
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
# Emails are not pages: mail clients need inline styles and never see our CSP.
PAGE_TEMPLATES = [p for p in (ROOT / "templates").rglob("*.html") if "email" not in p.relative_to(ROOT).parts]


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/alerts/"])
def test_every_page_carries_a_strict_policy(client, owner, path):
    client.force_login(owner)
    if path == "/accounts/login/":
        client.logout()
    response = client.get(path)
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_templates_hold_no_inline_script_style_or_handlers():
    assert PAGE_TEMPLATES, "no templates found"
    offences = []
    patterns = {
        "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
        "<style> block": re.compile(r"<style\b", re.I),
        "style= attribute": re.compile(r"\sstyle\s*=", re.I),
        "on*= handler": re.compile(r"\son[a-z]+\s*=", re.I),
        "hx-on (needs eval)": re.compile(r"\shx-on", re.I),
        "javascript: URL": re.compile(r"javascript:", re.I),
    }
    for path in PAGE_TEMPLATES:
        text = path.read_text()
        for what, pattern in patterns.items():
            if pattern.search(text):
                offences.append(f"{path.relative_to(ROOT)}: {what}")
    assert offences == []


def test_htmx_is_told_not_to_need_eval_or_inline_styles():
    base = (ROOT / "templates" / "base.html").read_text()
    config = re.search(r'name="htmx-config"\s+content=\'([^\']+)\'', base)
    assert config, "base.html must configure htmx"
    assert '"allowEval": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_htmx_pages_work_in_a_real_browser_without_csp_violations(live_server, owner, settings, browser):
    settings.UI_REFRESH_SECONDS = 1
    row = watch(owner, label="csp check")
    page = browser.page
    page.add_init_script(
        """
        window.__csp = [];
        window.__htmxRequests = 0;
        document.addEventListener('securitypolicyviolation',
            e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
        document.addEventListener('htmx:afterRequest',
            e => { if (e.detail.successful) window.__htmxRequests += 1; });
        """
    )

    # The real login form: CSRF cookie and form-action 'self' both in play.
    page.goto(f"{live_server.url}/accounts/login/?next=/")  # the watchlist (login lands on the overview)
    page.fill("input[name=username]", owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert str(row.execution.uuid) in page.content() or "csp check" in page.content()

    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load under the CSP"
    # The periodic refresh goes through htmx, and a change on the server is swapped
    # in. (Polled from Python: wait_for_function would need eval, which the CSP forbids.)
    wait_for(lambda: page.evaluate("window.__htmxRequests") > 0, timeout=15, message="an htmx refresh")
    Execution.objects.filter(pk=row.execution.pk).update(
        name="Renamed while the page was open", version=F("version") + 1
    )
    # Inside Playwright's event loop Django hands out a separate connection, which
    # the test database's teardown would otherwise find still open.
    connection.close()
    wait_for(
        lambda: "Renamed while the page was open" in page.content(),
        timeout=15,
        message="the htmx refresh to swap in the change",
    )
    assert page.evaluate("window.__csp") == []
    assert not [e for e in browser.errors if "Content Security Policy" in e], browser.errors
