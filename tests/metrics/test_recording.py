"""Counting a Plannr answer: one series per endpoint, and never an error for the caller."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from metrics import recording, store

ROOT = Path(__file__).resolve().parents[2]


def test_ids_in_the_path_become_one_label_value():
    u = uuid.uuid4()
    assert (
        recording.endpoint_label(f"/api/v1/automation-executions/{u}") == "/api/v1/automation-executions/{id}"
    )
    assert recording.endpoint_label(f"/api/v1/automation-blueprints/{u}/executions") == (
        "/api/v1/automation-blueprints/{id}/executions"
    )


def test_a_redis_outage_does_not_reach_the_caller(settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    recording._last_warning[0] = 0.0
    recording.record_plannr_response("/api/v1/automation-executions", 200, 10, 500)
    assert "not counted" in caplog.text


def test_counts_accumulate_in_redis(redis_client):
    for status in (200, 200, 429):
        recording.record_plannr_response("/api/v1/automation-executions", status, 3, 500)
    assert store.request_counts() == {
        ("/api/v1/automation-executions", "200"): 2,
        ("/api/v1/automation-executions", "429"): 1,
    }
    assert store.plannr_ratelimit()["remaining"] == "3"


def test_counts_from_another_process_show_in_this_ones_scrape(redis_client, settings):
    # What a Celery worker does: count in its own process; the web process exports it.
    code = (
        "import django; django.setup()\n"
        "from metrics.recording import record_plannr_response\n"
        "record_plannr_response('/api/v1/automation-executions', 500)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "REDIS_URL": settings.REDIS_URL}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60, cwd=ROOT)
    assert store.request_counts() == {("/api/v1/automation-executions", "500"): 1}
