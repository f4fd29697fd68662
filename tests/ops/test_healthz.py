"""/healthz: 200 or 503 as JSON, no login, no secrets; and the container probes."""

import os
import socket
import time

import pytest

from dashboard import health
from dashboard.celery import app as celery_app


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_url(monkeypatch):
    """Point the Celery app at another broker for one test."""

    def use(url):
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(celery_app.conf, "broker_write_url", None)

    return use


@pytest.mark.django_db
def test_healthy_answers_200_without_login(client, redis_url, broker_url):
    broker_url(redis_url)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "transport": "redis"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_broken_plannr_connection_does_not_fail_healthz_which_says_what_it_covers(client, redis_url, broker_url):
    from django.utils import timezone

    from connections import services
    from connections.defaults import ensure_default

    broker_url(redis_url)
    services.mark_broken(ensure_default().pk, "Unauthenticated.", timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "this process" in response.json()["scope"] and "plannr_connection_up" in response.json()["scope"]


@pytest.mark.django_db
def test_broker_down_answers_503_and_names_no_secret(client, broker_url, closed_port):
    broker_url(f"redis://:hunter2-broker-secret@127.0.0.1:{closed_port}/0")
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]  # the exception's class, nothing more
    text = response.content.decode()
    for secret in ("hunter2-broker-secret", str(closed_port), "127.0.0.1", "redis://"):
        assert secret not in text
    # A healthcheck has a few seconds, not a retry loop's minutes.
    assert elapsed < 5


@pytest.mark.django_db
def test_database_down_answers_503(client, redis_url, broker_url, monkeypatch):
    broker_url(redis_url)

    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection to server at db.internal (10.0.0.5), password=xyz failed")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "xyz" not in response.content.decode() and "db.internal" not in response.content.decode()


@pytest.mark.django_db
def test_only_get(client):
    assert client.post("/healthz").status_code == 405


class TestProbes:
    def test_web_probe_passes_on_200(self, live_server, redis_url, broker_url, monkeypatch):
        broker_url(redis_url)
        monkeypatch.setenv("SITE_URL", "http://testserver")
        port = int(live_server.url.rsplit(":", 1)[1])
        assert health.probe_web(port) == 0

    def test_web_probe_fails_on_503(self, live_server, broker_url, closed_port, monkeypatch, capsys):
        broker_url(f"redis://127.0.0.1:{closed_port}/0")
        monkeypatch.setenv("SITE_URL", "http://testserver")
        port = int(live_server.url.rsplit(":", 1)[1])
        assert health.probe_web(port) == 1
        assert "503" in capsys.readouterr().err

    def test_web_probe_fails_when_nothing_listens(self, closed_port):
        assert health.probe_web(closed_port, timeout=1) == 1

    def test_beat_probe_wants_a_recent_schedule_file(self, tmp_path):
        schedule = tmp_path / "celerybeat-schedule"
        assert health.probe_beat(str(schedule), max_age=60) == 1  # none yet
        (tmp_path / "celerybeat-schedule.db").write_bytes(b"x")  # dbm may add a suffix
        assert health.probe_beat(str(schedule), max_age=60) == 0
        old = time.time() - 600
        os.utime(tmp_path / "celerybeat-schedule.db", (old, old))
        assert health.probe_beat(str(schedule), max_age=60) == 1
