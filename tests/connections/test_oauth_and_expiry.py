"""OAuth refresh (and a refresh that fails), expiry warnings, and secrets kept out of logs and pages."""

import datetime as dt
import logging

import pytest
import requests
import time_machine
from django.urls import reverse
from django.utils import timezone

from channels.models import Delivery
from connections import health, oauth, services
from connections.models import Connection
from executions import polling
from executions.models import Execution, PollState
from executions.watching import watch_executions
from tests.builders import make_connection
from tests.fixtures.simulator import OAUTH_CLIENT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

REDIRECT = "http://monitor.example/connections/oauth/callback/"


@pytest.fixture
def oauth_settings(settings):
    settings.PLANNR_OAUTH_CLIENT_ID, settings.PLANNR_OAUTH_CLIENT_SECRET = OAUTH_CLIENT
    return settings


def oauth_connection(simulator, name="oauth"):
    answer = requests.get(oauth.authorize_url(simulator.url, REDIRECT, "st"), allow_redirects=False, timeout=5)
    code = answer.headers["Location"].split("code=")[1].split("&")[0]
    access, refresh, expires = oauth.exchange_code(simulator.url, code, REDIRECT, timezone.now())
    connection, _ = services.connect(name, access, base_url=simulator.url, refresh_token=refresh,
                                     access_expires_at=expires)
    return connection


def test_a_short_lived_access_token_is_refreshed_before_a_poll(simulator, oauth_settings, admin):
    connection = oauth_connection(simulator)
    assert connection.auth_kind == "oauth" and str(connection.account_uuid) == simulator.account_uuid
    watch_executions(admin, simulator.create_many(2), connection=connection)
    first_access, budget = connection.token(), connection.budget_key
    Connection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now())  # at its end
    polling.run_cycle()
    connection.refresh_from_db()
    assert connection.token() != first_access and connection.access_expires_at > timezone.now()
    assert connection.budget_key == budget  # the same Plannr user's budget across refreshes
    assert {e.poll_state for e in Execution.objects.all()} == {PollState.OK}


def test_a_failed_refresh_breaks_the_connection(simulator, oauth_settings, admin):
    connection = oauth_connection(simulator)
    watch_executions(admin, simulator.create_many(1), connection=connection)
    simulator.server.tenancy.revoke(simulator.user)  # the refresh token is gone with the grant
    Connection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now())
    polling.run_cycle()
    connection.refresh_from_db()
    assert connection.state() == "broken" and connection.break_kind == "refused"
    assert "refused the OAuth token request (400" in connection.broken_reason
    assert connection.refresh_token() not in connection.broken_reason
    assert Execution.objects.get().poll_state == PollState.UNAUTHORIZED


def test_expiry_is_told_at_14_and_at_3_days_once_each(admin):
    admin.email = "admin@firm.example"
    admin.save()
    with time_machine.travel(dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC), tick=False):
        connection = make_connection("acme", expires_at=dt.date(2027, 1, 31))
        assert connection.state() == "ok" and health.check()["expiring"] == 0
    with time_machine.travel(dt.datetime(2027, 1, 17, 9, tzinfo=dt.UTC), tick=False):
        assert Connection.objects.get(name="acme").state() == "expiring"
        assert health.check()["expiring"] == 1
        assert health.check()["expiring"] == 0
    with time_machine.travel(dt.datetime(2027, 1, 27, 9, tzinfo=dt.UTC), tick=False):
        assert health.check()["expiring"] == 0
    with time_machine.travel(dt.datetime(2027, 1, 28, 9, tzinfo=dt.UTC), tick=False):
        assert health.check()["expiring"] == 1
        assert health.check()["expiring"] == 0
    told = Delivery.objects.filter(notice__kind="connection", notice__event="expiring").order_by("pk")
    assert [m.notice["subject"] for m in told] == [
        "Plannr connection acme: its token expires in 14 day(s)",
        "Plannr connection acme: its token expires in 3 day(s)",
    ]


def test_secrets_never_reach_logs_or_pages(simulator, admin, client, caplog, settings):
    with caplog.at_level(logging.DEBUG):
        connection, _ = services.connect("acme", simulator.token, base_url=simulator.url)
        watch_executions(admin, simulator.create_many(1), connection=connection)
        polling.run_cycle()
        simulator.server.tenancy.revoke(simulator.user)
        services.test(connection)
    client.force_login(admin)
    pages = "".join(
        client.get(reverse(name)).content.decode()
        for name in ("connections:list", "executions:poll_health", "monitors:overview")
    )
    assert "acme" in pages
    for secret in (simulator.token, connection.token_encrypted):
        assert secret not in caplog.text and secret not in pages
    assert "broken since" in pages
