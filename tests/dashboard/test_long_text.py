"""A 1 MB step info: the page shows its start, and links to the full raw text (same access as the page)."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from executions.models import FailureKind
from executions.text import PAGE_TEXT_LIMIT
from tests.builders import add_step, watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

HUGE_INFO = '{"errors": ["' + "mailbox unavailable " * 52_500 + '"]}'  # ~1 MB


@pytest.fixture
def huge(owner):
    w = watch(owner)
    step = add_step(w.execution, position=0, name="Send email", status="failed", info=HUGE_INFO,
                    messages=["mailbox unavailable"], failure_kind=FailureKind.FAILED)
    return w, step


@pytest.mark.parametrize("name", ["detail", "live"])
def test_the_page_carries_the_start_of_a_long_info_and_a_link_to_all_of_it(owner_client, huge, name):
    w, step = huge
    assert len(HUGE_INFO) > 1_000_000
    response = owner_client.get(reverse(f"executions:{name}", args=[w.execution.uuid]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert len(html) < 60_000
    assert escape(HUGE_INFO[:1000]) in html
    raw_url = reverse("executions:step_info", args=[w.execution.uuid, step.uuid])
    assert f'href="{raw_url}"' in html
    assert f"of {len(HUGE_INFO):,} characters" in html


def test_a_short_info_is_shown_whole_with_no_link(owner_client, owner):
    w = watch(owner)
    step = add_step(w.execution, position=0, name="Send email", info="x" * PAGE_TEXT_LIMIT)
    html = owner_client.get(reverse("executions:detail", args=[w.execution.uuid])).content.decode()
    assert "x" * PAGE_TEXT_LIMIT in html
    assert reverse("executions:step_info", args=[w.execution.uuid, step.uuid]) not in html


def test_the_raw_text_is_served_whole_as_plain_text(owner_client, huge):
    w, step = huge
    response = owner_client.get(reverse("executions:step_info", args=[w.execution.uuid, step.uuid]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.decode() == HUGE_INFO


def test_the_raw_text_has_the_execution_pages_access_rules(client, other_user, huge):
    w, step = huge
    url = reverse("executions:step_info", args=[w.execution.uuid, step.uuid])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(other_user)  # does not watch it
    assert client.get(url).status_code == 404
    # A step of another execution, under an execution the user does watch: 404 too.
    mine = watch(other_user)
    assert client.get(reverse("executions:step_info", args=[mine.execution.uuid, step.uuid])).status_code == 404


def test_the_raw_text_of_an_execution_a_monitor_found_is_open_to_everyone_who_sees_its_page(
    client, owner, other_user
):
    from tests.builders import make_execution
    from tests.monitors.builders import everything
    from monitors.models import Finding

    monitor = everything(owner)
    execution = make_execution()
    Finding.objects.create(monitor=monitor, execution=execution, found_at=execution.remote_created_at)
    step = add_step(execution, position=0, name="Send email", info="the raw text")
    url = reverse("executions:step_info", args=[execution.uuid, step.uuid])
    for user in (owner, other_user):  # the monitor's creator, and someone who never watched it
        client.force_login(user)
        assert client.get(reverse("executions:detail", args=[execution.uuid])).status_code == 200
        response = client.get(url)
        assert response.status_code == 200 and response.content.decode() == "the raw text"
