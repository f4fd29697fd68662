"""/metrics: never open by default, a bearer token or an allowed network, cheap to scrape."""

import pytest

from metrics import exposition
from tests.builders import watch
from tests.metrics.conftest import TOKEN, scrape

pytestmark = pytest.mark.django_db


def test_with_nothing_configured_nobody_gets_in(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": "Bearer anything"}):
        response = client.get("/metrics", **headers)
        assert response.status_code == 403
        assert b"METRICS_TOKEN" in response.content


def test_without_the_token_it_answers_401(client, metrics_token):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401


def test_with_the_token_it_parses_as_prometheus_text(client, metrics_token, owner):
    watch(owner, status="failed", is_failing=True)
    watch(owner, status="in_progress")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response["Content-Type"].startswith("text/plain; version=")
    values = scrape(client)
    assert values[("plannr_monitor_executions", (("status", "failed"),))] == 1
    assert values[("plannr_monitor_executions_failing", ())] == 1
    assert values[("plannr_monitor_alert_deliveries", (("channel", "email"), ("state", "sent")))] == 0
    for name in (
        "poll_lag_seconds",
        "executions_due",
        "executions_in_flight",
        "executions_claimed",
        "plannr_rate_budget_used_ratio",
        "metrics_computed_timestamp_seconds",
    ):
        assert (f"plannr_monitor_{name}", ()) in values, name


def test_an_allowed_network_needs_no_token(client, settings, redis_client):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 401


def test_a_scrape_does_not_touch_the_database(client, metrics_token, owner, django_assert_num_queries):
    watch(owner)
    exposition.refresh()
    with django_assert_num_queries(0):
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_values_come_from_the_periodic_refresh_not_the_scrape(client, metrics_token, owner):
    exposition.refresh()
    watch(owner, status="failed", is_failing=True)
    assert scrape(client)[("plannr_monitor_executions_failing", ())] == 0
    from metrics.tasks import refresh_metrics

    refresh_metrics()
    assert scrape(client)[("plannr_monitor_executions_failing", ())] == 1


def test_without_redis_it_says_so(client, metrics_token, settings):
    settings.REDIS_URL = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 503
    assert b"Redis" in response.content


def test_the_refresh_task_is_quiet_without_redis(settings, db):
    from metrics.tasks import refresh_metrics

    settings.REDIS_URL = ""
    refresh_metrics()  # nothing to store into, and no error either


def test_a_finished_batch_is_neither_in_flight_nor_a_dead_claim(client, metrics_token, owner):
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from executions.models import Execution, FinishedClaim

    now = timezone.now()
    finished, running, dead = (watch(owner).execution for _ in range(3))
    done, live, lost = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    FinishedClaim.objects.create(token=done, finished_at=now)
    for execution, token, until in ((finished, done, 40), (running, live, 40), (dead, lost, -5)):
        Execution.objects.filter(pk=execution.pk).update(claim_token=token, claimed_until=now + timedelta(seconds=until))
    exposition.refresh()
    values = scrape(client)
    assert values[("plannr_monitor_executions_in_flight", ())] == 1
    assert values[("plannr_monitor_executions_claimed", ())] == 2
