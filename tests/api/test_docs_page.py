"""The interactive docs: vendored Swagger UI that runs under the site's strict CSP."""

import re

import pytest
from django.db import connection

from tests.builders import watch
from tests.fixtures.users import PASSWORD
from tests.waiting import wait_for


@pytest.mark.django_db
def test_the_docs_page_wants_a_login_and_loads_nothing_from_elsewhere(client, owner):
    response = client.get("/api/v1/docs")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(owner)
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    # Every script, style and image is the site's own (a random CSRF token may spell "cdn").
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "https://" not in page and not re.search(r"\bcdn[.-]", page.lower())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_and_tries_a_call_without_csp_violations(
    live_server, owner, browser, redis_client
):
    watch(owner, label="seen through the docs")
    page = browser.page
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{live_server.url}/accounts/login/?next=/api/v1/docs")
    page.fill("input[name=username]", owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector("#operations-watches-api_watches_list_watches", timeout=15000)
    browser.screenshot("api-docs")

    # "Try it out" with the browser's session: the call runs and its answer shows.
    page.click("#operations-watches-api_watches_list_watches .opblock-summary")
    page.click("#operations-watches-api_watches_list_watches button.try-out__btn")
    page.click("#operations-watches-api_watches_list_watches button.execute")
    wait_for(
        lambda: "seen through the docs" in page.inner_text(".live-responses-table"),
        timeout=15,
        message="the API's answer in Swagger UI",
    )
    connection.close()
    assert page.evaluate("window.__csp") == []
    assert not [e for e in browser.errors if "Content Security Policy" in e], browser.errors
