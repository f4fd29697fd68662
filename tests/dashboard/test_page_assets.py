"""Pages load only our own, vendored assets and run under the CSP (no inline code)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.builders import add_step, watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered_pages(owner_client, owner, client):
    w = watch(owner)
    add_step(w.execution, "Create task", position=0)
    pages = [
        owner_client.get(reverse("executions:watchlist")),
        owner_client.get(reverse("executions:detail", kwargs={"uuid": w.execution.uuid})),
    ]
    client.logout()
    pages += [client.get(reverse("login")), client.get(reverse("account_reset_password"))]
    return pages


def test_only_local_scripts_and_stylesheets(rendered_pages):
    for response in rendered_pages:
        html = response.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts == [
            '<script src="/static/vendor/htmx.min.js" defer>',
            '<script src="/static/js/app.js" defer>',
        ]
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
            "/static/vendor/pico.min.css",
            "/static/css/app.css",
        ]
        assert "https://" not in html and "http://cdn" not in html


def test_no_inline_styles_or_evaluated_attributes(rendered_pages):
    for response in rendered_pages:
        html = response.content.decode()
        assert not re.search(r"\sstyle=", html)
        assert "<style" not in html
        assert not re.search(r"\shx-on[:-]", html)
        assert "js:" not in html and "javascript:" not in html
        assert re.search(r"<script[^>]*>\s*[^<\s]", html) is None  # no inline script bodies


def test_htmx_is_configured_for_the_csp(rendered_pages):
    import json
    import re

    html = rendered_pages[0].content.decode()
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', html).group(1))
    # No injected <style> (indicator styles), no eval, no script tags in swapped content; and no
    # history snapshots, which can hold inline styles and restore stale form values on Back.
    assert config == {
        "includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False, "historyCacheSize": 0,
    }
    csp = rendered_pages[0]["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp


def test_vendored_files_are_present_and_htmx_is_version_2():
    htmx = finders.find("vendor/htmx.min.js")
    assert htmx and 'version:"2.' in open(htmx, encoding="utf-8").read()
    pico = finders.find("vendor/pico.min.css")
    assert pico and "Pico CSS" in open(pico, encoding="utf-8").read(300)
    ours = ("css/app.css", "js/app.js", "favicon.svg")
    for path in ours + ("vendor/README.md", "vendor/htmx.LICENSE", "vendor/pico.LICENSE.md"):
        assert finders.find(path), path
