"""A report costs a fixed number of queries, whatever the number of executions and incidents."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executions.failures import DetectedFailure
from executions.models import FailureKind
from incidents.grouping import record
from reports import periods
from reports.build import build
from tests.builders import make_execution

pytestmark = pytest.mark.django_db


def history(first, n):
    when = timezone.now() - timedelta(days=1)
    for i in range(first, first + n):
        execution = make_execution(name=f"Blueprint {i % 7}", status="failed", is_finished=True, is_failing=True,
                                   remote_created_at=when, account_name=f"Client {i}")
        record(execution, [DetectedFailure(FailureKind.FAILED, "", "", "failed", [f"cause {i % 5}"], "")])


def queries(period):
    with CaptureQueriesContext(connection) as captured:
        report = build(period)
    return len(captured), report


def test_the_number_of_queries_does_not_grow_with_the_history():
    period = periods.containing("month", timezone.localdate() - timedelta(days=1))
    history(0, 5)
    few, small = queries(period)
    history(5, 60)
    many, large = queries(period)
    assert few == many <= 8
    assert sum(r.counts.started for r in large.rows) == 65 and sum(r.clients_affected for r in large.rows) == 65
