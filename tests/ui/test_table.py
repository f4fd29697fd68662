"""A Table (ui/table.py) whose rows are the executions themselves (as the blueprint page's)."""

import re

import pytest

from executions.models import Execution
from tests.builders import make_execution
from ui.page import table_page
from ui.params import Params
from ui.rows import rendered_rows
from ui.table import Table

pytestmark = pytest.mark.django_db

EXECUTIONS = Table(
    name="execution", rows=lambda owner, user: Execution.objects.all(), counts_key=lambda owner, user: "test",
    page_url="executions:watchlist", rows_url="executions:watchlist_rows", execution="",
)


def test_an_execution_queryset_is_filtered_sorted_counted_and_rendered():
    done = make_execution(name="Annual review done", status="completed")
    failing = make_execution(name="Welcome pack failing", status="failed", is_failing=True)
    running = make_execution(name="Annual review running", status="in_progress")
    make_execution(name="Not in this list", status="failed", is_failing=True)
    qs = Execution.objects.filter(pk__in=[done.pk, failing.pk, running.pk])

    page = table_page(qs, EXECUTIONS, Params(), counts_key="test:executions")
    assert page.ids == [failing.pk, running.pk, done.pk]
    assert (page.counts.total, page.counts.failing) == (3, 1)
    html = "".join(rendered_rows(page))
    assert re.findall(r'<tr id="execution-(\d+)"', html) == [str(failing.pk), str(running.pk), str(done.pk)]
    assert f'href="/executions/{failing.uuid}/"' in html
    assert "col-label" not in html  # executions have no label column

    searched = table_page(qs, EXECUTIONS, Params(q="annual", sort="name"), counts_key="test:executions")
    assert searched.ids == [done.pk, running.pk]
