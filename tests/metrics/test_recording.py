"""Counting a Plannr answer: one series per endpoint, and never an error for the caller."""

import uuid

from metrics import recording, store


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
