"""Issue 20, point 30: /healthz?deep=1 (and compose's checks) report a worker or a beat that is gone.

Real processes: a prefork worker and beat on Redis, writing heartbeats every
second; the worker is then killed, as the broker outage of point 30 used to do.
"""

import pytest

from dashboard import health
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST = {"HEARTBEAT_SECONDS": "1"}


def deep(client):
    answer = client.get("/healthz?deep=1")
    return answer.status_code, answer.json()


def test_deep_health_reports_a_worker_and_a_beat_not_seen_for_three_periods(client, celery_processes, settings):
    settings.HEARTBEAT_SECONDS = 1
    # The shared cache the processes write to, as in production (tests default to a private one).
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL,
        "KEY_PREFIX": "plannr-monitor"}}
    status, body = deep(client)
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["workers"]["polling"] == {"ok": False, "seen_s_ago": None}
    assert body["checks"]["beat"]["ok"] is False
    assert client.get("/healthz").status_code == 200  # the shallow check is about this web process only

    worker = celery_processes.worker(extra_env=FAST)
    celery_processes.beat(extra_env=FAST)
    status, body = wait_for(lambda: (r := deep(client))[0] == 200 and r, timeout=60,
                            message="the worker and beat to be seen")
    assert set(body["checks"]["workers"]) == {"polling", "discovery", "deliveries", "celery"}
    assert health.probe_seen(["polling", "deliveries"]) == 0  # compose's worker check

    worker.kill()
    status, body = wait_for(lambda: (r := deep(client))[0] == 503 and r, timeout=3 * 1 + 10,
                            message="the dead worker to be reported")
    assert body["checks"]["workers"]["polling"]["ok"] is False
    assert body["checks"]["workers"]["polling"]["seen_s_ago"] >= 3
    assert body["checks"]["beat"]["ok"] is True
    assert health.probe_seen(["polling"]) == 1


def test_the_embedded_run_is_seen_whole_by_the_deep_check(client, celery_processes, settings):
    """`make run`'s one process (beat a thread inside the worker) writes beat's heartbeat too."""
    settings.HEARTBEAT_SECONDS = 1
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL,
        "KEY_PREFIX": "plannr-monitor"}}
    celery_processes.worker(name="embedded", embedded=True, extra_env=FAST)
    status, body = wait_for(lambda: (r := deep(client))[0] == 200 and r, timeout=60,
                            message="the embedded worker and its beat thread to be seen")
    assert body["checks"]["beat"]["ok"] is True
