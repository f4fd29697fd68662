"""`make run`'s demo: an "everything" monitor for the demo user, and a simulator that keeps creating."""

import io

import pytest
from django.core.management import call_command

from monitors.models import Monitor, Scope, Subscription

pytestmark = pytest.mark.django_db


def test_demo_setup_creates_one_everything_monitor_for_the_demo_user(simulator):
    simulator.create_execution()
    for _ in range(2):  # idempotent
        call_command("demo_setup", count=1, stdout=io.StringIO())
    monitor = Monitor.objects.get()
    assert monitor.scope == Scope.EVERYTHING and monitor.created_by.username == "demo"
    assert Subscription.objects.filter(monitor=monitor, user__username="demo").exists()


def test_the_embedded_runs_simulator_streams_new_executions():
    from pathlib import Path

    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    line = next(l for l in procfile.splitlines() if l.startswith("simulator:"))
    assert "--new-per-minute" in line
