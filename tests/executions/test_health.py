"""Poll health is computed once (executions/health.py): the poll-health page, the overview and
the poll-cycle metrics show the same figures, and the overview does not pay for the claim
figures over the whole table that only the page and the metrics show."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from executions.health import poll_health
from executions.models import Execution, PollState
from metrics import snapshot
from monitors import summary
from tests.builders import make_execution

pytestmark = pytest.mark.django_db


def _scenario(now, settings):
    interval = timedelta(seconds=settings.POLL_INTERVAL_SECONDS)
    late = make_execution(next_poll_at=now - 3 * interval, poll_state=PollState.TIMEOUT)
    due = make_execution(next_poll_at=now - timedelta(seconds=5))
    make_execution(next_poll_at=now + interval)  # scheduled, not due
    make_execution(next_poll_at=None, last_polled_at=now - timedelta(minutes=1))  # finished
    # A live claim on the late one: in flight, and not waiting any more.
    Execution.objects.filter(pk=late.pk).update(claim_token=uuid.uuid4(), claimed_until=now + interval)
    return late, due


def test_the_page_the_overview_and_the_metrics_read_one_computation(admin, client, settings):
    now = timezone.now()
    late, _ = _scenario(now, settings)
    health = poll_health(now)
    assert (health.scheduled, health.due, health.waiting, health.overdue, health.in_flight) == (3, 2, 1, 1, 1)
    assert health.under_way == 1 and health.claimed == 1
    assert health.trouble == {PollState.TIMEOUT.label: 1}
    assert int(health.lag) == int((now - late.next_poll_at).total_seconds())

    values = {f["name"]: f["samples"][0][1] for f in snapshot.poll_cycle(now)}
    assert values["plannr_monitor_executions_due"] == health.waiting
    assert values["plannr_monitor_executions_in_flight"] == health.in_flight
    assert values["plannr_monitor_executions_claimed"] == health.claimed
    assert values["plannr_monitor_poll_lag_seconds"] == health.lag

    overview = summary.overview(admin, now).health
    assert (overview.scheduled, overview.overdue, overview.trouble) == (3, 1, health.trouble)

    client.force_login(admin)
    page = client.get(reverse("executions:poll_health")).content.decode()
    assert "<dt>Scheduled</dt><dd>3</dd>" in page and "<dt>Due now</dt><dd>2</dd>" in page
    assert "<dt>Being polled</dt><dd>1</dd>" in page


def test_the_overview_reads_no_claim_figures(settings):
    now = timezone.now()
    _scenario(now, settings)
    health = poll_health(now)
    with CaptureQueriesContext(connection) as queries:
        assert health.attention == [] and health.scheduled == 3
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert (health.in_flight, health.claimed) == (1, 1) and health.last_poll_at is not None
    assert len(queries) == 1  # one aggregate, on first use only
