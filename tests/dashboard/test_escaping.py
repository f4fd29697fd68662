"""Text from Plannr and from users is always escaped."""

import pytest
from django.urls import reverse

from executions.models import FailureKind, PollState
from tests.builders import add_snapshot, add_step, watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def evil_watch(owner):
    w = watch(
        owner,
        label=f"label {EVIL}",
        name=f"name {EVIL}",
        status=f"st{EVIL}",
        triggered_by=f"trigger {EVIL}",
        account_name=f"client {EVIL}",
        is_failing=True,
        failure_message=f"failure {EVIL}",
        next_step={"name": f"next {EVIL}", "status": EVIL},
        poll_state=PollState.INVALID,
        last_poll_error=f"error {EVIL}",
    )
    add_step(w.execution, f"step {EVIL}", EVIL, position=0, info=f'"[{{errors : "{EVIL}" }}]"',
             messages=[f"message {EVIL}"], failure_kind=FailureKind.HIDDEN)
    add_snapshot(w.execution, [{"kind": "step_added", "step": EVIL, "status": EVIL},
                               {"kind": "status", "from": EVIL, "to": EVIL}, {"kind": EVIL}])
    return w


def assert_escaped(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert ESCAPED in html


@pytest.mark.parametrize("name", ["detail", "live"])
def test_execution_page_escapes_plannr_text_and_labels(owner_client, evil_watch, name):
    path = reverse(f"executions:{name}", kwargs={"uuid": evil_watch.execution.uuid})
    response = owner_client.get(path, headers=HTMX)
    assert_escaped(response)
    html = response.content.decode()
    for field in ("name", "trigger", "client", "failure", "next", "step", "message", "error", "label"):
        assert f"{field} {ESCAPED}" in html, field


@pytest.mark.parametrize("name", ["watchlist", "watchlist_rows"])
def test_watchlist_escapes_plannr_text_and_labels(owner_client, evil_watch, name):
    response = owner_client.get(reverse(f"executions:{name}"), {"status": f"st{EVIL}"}, headers=HTMX)
    assert_escaped(response)
    html = response.content.decode()
    for field in ("name", "trigger", "client", "failure", "label"):
        assert f"{field} {ESCAPED}" in html, field


def test_search_text_is_escaped(owner_client, owner):
    watch(owner)
    response = owner_client.get(reverse("executions:watchlist"), {"q": EVIL})
    assert_escaped(response)


def test_pasted_junk_is_escaped_in_the_report(owner_client):
    response = owner_client.post(reverse("executions:add"), {"uuids": EVIL, "label": EVIL}, headers=HTMX)
    html = response.content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
