"""Bidirectional controls from Plannr (U+202E...) are isolated on pages and stripped from titles."""

import pytest
from django.urls import reverse

from executions.models import FailureKind, PollState
from tests.dashboard.bidi import bidi_report
from tests.dashboard.builders import add_snapshot, add_step, watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # right-to-left override: "fdp.exe" shows as "exe.pdf"


@pytest.fixture
def reversing_watch(owner):
    w = watch(
        owner,
        label=f"label {RLO}lebal",
        name=f"Welcome pack {RLO}kcap",
        status=f"failed{RLO}",
        triggered_by=f"trigger {RLO}reggirt",
        account_name=f"Client {RLO}tneilc",
        is_failing=True,
        failure_message=f"failure {RLO}eruliaf",
        next_step={"name": f"next {RLO}txen", "status": f"pending{RLO}"},
        poll_state=PollState.INVALID,
        last_poll_error=f"error {RLO}rorre",
    )
    add_step(w.execution, 0, f"step {RLO}pets", status=f"completed{RLO}", info=f"info {RLO}ofni",
             messages=[f"message {RLO}egassem"], failure_kind=FailureKind.HIDDEN)
    add_snapshot(w.execution, [{"kind": "step_added", "step": f"s{RLO}", "status": f"x{RLO}"},
                               {"kind": "status", "from": f"a{RLO}", "to": f"b{RLO}"},
                               {"kind": "step_info", "step": f"i{RLO}"}, {"kind": f"k{RLO}"}])
    return w


@pytest.mark.parametrize("name", ["detail", "live"])
def test_execution_page_isolates_every_plannr_text_and_strips_the_title(owner_client, reversing_watch, name):
    path = reverse(f"executions:{name}", kwargs={"uuid": reversing_watch.execution.uuid})
    response = owner_client.get(path, **({} if name == "detail" else {"headers": HTMX}))
    assert response.status_code == 200
    isolated, unisolated, in_title = bidi_report(response.content.decode())
    assert unisolated == []
    assert in_title == []
    # Every field above reached the page (so each one was checked): name, trigger, client,
    # label, failure, step name/status x2/message/info, next step and its status, error, history.
    assert isolated >= 20, isolated
    if name == "detail":
        assert "<title>Welcome pack kcap · Plannr monitor</title>" in response.content.decode()

