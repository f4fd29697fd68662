"""`manage.py demo_setup`: the demo user and its dozen executions, from the real list API."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from executions.models import Watch


def _setup(**options):
    out = io.StringIO()
    call_command("demo_setup", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def plannr_world(simulator):
    """Thirty executions in four statuses."""
    statuses = ["in_progress"] * 15 + ["completed"] * 8 + ["failed"] * 5 + ["waiting"] * 2
    return {simulator.create_execution(status=status)["uuid"]: status for status in statuses}


@pytest.mark.django_db
def test_creates_the_user_prints_its_login_and_watches_a_varied_dozen(plannr_world, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    output = _setup(count=12)
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo-pass-123")
    # One person trying everything: the demo user may manage monitors and channels too.
    from accounts import roles

    assert roles.role_of(user) == roles.ADMIN
    assert "Log in as: demo / demo-pass-123" in output
    watches = Watch.objects.filter(user=user).select_related("execution")
    assert watches.count() == 12
    watched = {str(w.execution.uuid) for w in watches}
    assert watched <= set(plannr_world)
    # Every status shows on the demo watchlist, not just the most common one.
    assert {plannr_world[u] for u in watched} == {"in_progress", "completed", "failed", "waiting"}
    assert all(w.label == "demo" for w in watches)
    assert "Watching 12 executions" in output and "(12 new, 0 already watched)" in output


@pytest.mark.django_db
def test_running_it_again_changes_nothing(plannr_world, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    _setup(count=12)
    again = _setup(count=12)
    assert get_user_model().objects.filter(username="demo").count() == 1
    assert Watch.objects.count() == 12
    assert "Demo user 'demo' ready." in again
    assert "(0 new, 12 already watched)" in again


@pytest.mark.django_db
def test_without_a_password_one_is_generated_and_printed(plannr_world, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    output = _setup(count=0)
    password = output.split("Log in as: demo / ")[1].split()[0]
    assert len(password) >= 12
    assert get_user_model().objects.get(username="demo").check_password(password)
    assert Watch.objects.count() == 0


@pytest.mark.django_db
def test_a_rejected_token_is_a_clear_error_without_the_token(plannr_world, settings):
    settings.PLANNR_API_TOKEN = "wrong-token-value"
    with pytest.raises(CommandError) as error:
        _setup(count=12)
    assert "answered HTTP 401" in str(error.value)
    assert "wrong-token-value" not in str(error.value)


@pytest.mark.django_db
def test_plannr_not_answering_is_a_clear_error(settings):
    settings.PLANNR_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.PLANNR_CONNECT_TIMEOUT = 1
    with pytest.raises(
        CommandError, match=r"Plannr at http://127.0.0.1:9 did not answer \(ConnectionError\)"
    ):
        _setup(count=12)


@pytest.mark.django_db
def test_an_empty_plannr_leaves_an_empty_watchlist(simulator):
    output = _setup(count=12)
    assert "lists no executions" in output
    assert Watch.objects.count() == 0


@pytest.mark.django_db
def test_it_asks_plannr_through_the_client_and_its_shared_rate_budget(plannr_world, redis_client):
    from connections.clients import default_client

    client = default_client()
    before = client.rate_limiter.used(client.token_fingerprint)
    _setup(count=12)
    # Two requests, both under the budget: the demo expectations' blueprint lookup, then the list.
    assert client.rate_limiter.used(client.token_fingerprint) == before + 2
