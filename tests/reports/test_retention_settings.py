"""PERSONAL_DATA_RETENTION_DAYS: at most RETENTION_DAYS, refused at startup otherwise; the
chunked clearing leaves running, recent and claimed executions alone; an incident still
counts a cleared client once."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from executions.models import Execution
from monitors import personal_data
from monitors.models import BlueprintDay
from tests.builders import add_snapshot, add_step, make_execution

SETTINGS = "import django; django.setup(); from django.conf import settings; print(settings.PERSONAL_DATA_RETENTION_DAYS)"


def start(**env):
    environment = {**os.environ, "DEBUG": "1", **env}
    return subprocess.run([sys.executable, "-c", SETTINGS], env=environment, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_a_personal_data_retention_longer_than_retention_is_refused_at_startup():
    refused = start(RETENTION_DAYS="60", PERSONAL_DATA_RETENTION_DAYS="61")
    assert refused.returncode != 0
    assert "PERSONAL_DATA_RETENTION_DAYS (61) must be at most RETENTION_DAYS (60)" in refused.stderr
    assert start(RETENTION_DAYS="60", PERSONAL_DATA_RETENTION_DAYS="60").stdout.strip() == "60"
    # Unset, it is 90, or RETENTION_DAYS when that is shorter.
    assert start(RETENTION_DAYS="30", PERSONAL_DATA_RETENTION_DAYS="").stdout.strip() == "30"
    assert start(RETENTION_DAYS="365", PERSONAL_DATA_RETENTION_DAYS="").stdout.strip() == "90"


def old(days, **fields):
    when = timezone.now() - timedelta(days=days)
    values = {"status": "failed", "is_finished": True, "is_failing": True, "remote_created_at": when,
              "account_name": "Jane Client", "failure_message": "SMS to 07700 900123 failed",
              "next_step": {"uuid": "s", "name": "Send SMS", "status": "failed", "info": "07700 900123"}}
    values.update(fields)
    execution = make_execution(**values)
    add_step(execution, "Send SMS", status="failed", info="SMS to 07700 900123 failed")
    add_snapshot(execution, [{"kind": "status", "from": "", "to": values["status"]}])
    return execution


@pytest.mark.django_db
def test_clearing_works_in_bounded_chunks_and_spares_running_recent_and_claimed_executions(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS, settings.RETENTION_CHUNK_SIZE = 30, 2
    cleared = [old(31) for _ in range(5)]
    kept = [
        old(29),
        old(31, status="in_progress", is_finished=False),
        old(31, claimed_until=timezone.now() + timedelta(minutes=1)),
    ]
    with CaptureQueriesContext(connection) as first:
        assert personal_data.clear(max_chunks=1) == 2
    assert personal_data.clear() == 3
    assert len(first) < 40  # one chunk: a bounded number of statements, whatever the table's size
    for execution in Execution.objects.filter(pk__in=[e.pk for e in cleared]):
        assert (execution.account_name, execution.failure_message) == ("", "")
        assert execution.next_step == {"uuid": "s", "name": "Send SMS", "status": "failed"}
        assert execution.status == "failed" and execution.personal_data_cleared
        assert [(s.name, s.status, s.info) for s in execution.steps.all()] == [("Send SMS", "failed", "")]
    for execution in Execution.objects.filter(pk__in=[e.pk for e in kept]):
        assert execution.account_name == "Jane Client" and not execution.personal_data_cleared
    # The five cleared executions' client: one hash, kept for "clients affected".
    assert [len(d.client_hashes) for d in BlueprintDay.objects.all()] == [1]


@pytest.mark.django_db
def test_an_incident_still_counts_a_cleared_client_once(settings):
    from executions.failures import DetectedFailure
    from executions.models import FailureKind
    from incidents.grouping import record
    from incidents.models import Incident, Occurrence

    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    failure = [DetectedFailure(FailureKind.FAILED, "", "", "failed", ["the account_uuid field is required"], "")]
    record(old(40, account_name="Jane Client"), failure)
    assert personal_data.clear() == 1
    assert Occurrence.objects.get().client_key.startswith("h:") and "Jane" not in Occurrence.objects.get().client_key
    # The same client fails again today, and a new one too: two clients, not three.
    record(make_execution(status="failed", is_finished=True, is_failing=True, account_name="Jane Client"), failure)
    record(make_execution(status="failed", is_finished=True, is_failing=True, account_name="Ann Other"), failure)
    assert Incident.objects.get().clients == 2
