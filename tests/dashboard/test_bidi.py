"""Bidirectional controls from Plannr (U+202E...) are isolated on pages and stripped from titles."""

import pytest
from django.urls import reverse

from executions.models import FailureKind, PollState
from tests.dashboard.bidi import bidi_report
from tests.builders import add_snapshot, add_step, watch
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
    add_step(w.execution, position=0, name=f"step {RLO}pets", status=f"completed{RLO}", info=f"info {RLO}ofni",
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




# The table's cells for Plannr text, isolated by CSS (unicode-bidi: isolate) rather than <bdi>.
ISOLATED_CLASSES = ("exec-name", "trigger", "client", "badge", "failure-text", "col-label", "col-progress")


def test_watchlist_rows_isolate_plannr_text_and_strip_it_from_tooltips(owner_client, reversing_watch):
    import re
    from pathlib import Path

    response = owner_client.get(reverse("executions:watchlist_rows"), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    # No tooltip carries a control: a title attribute cannot be isolated.
    assert not [t for t in re.findall(r'title="([^"]*)"', html) if any(c in t for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")]
    row = html[html.index('<tr id="watch-'):]
    for value in ("Welcome pack", "trigger ", "Client ", "failure ", "label "):
        cell = row[: row.index(">" + value)].rsplit("class=\"", 1)[1].split("\"", 1)[0]
        assert any(c in cell.split() for c in ISOLATED_CLASSES), (value, cell)
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
    rule = css[css.index("/* Plannr text keeps its direction"):]
    assert "unicode-bidi: isolate" in rule.split("}")[0]
    for c in ISOLATED_CLASSES:
        assert f".{c}" in rule.split("{")[0], c
