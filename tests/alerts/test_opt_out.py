"""One-click opt out of all alert emails (RFC 8058 List-Unsubscribe): the token in the link is the only credential."""

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import AlertPreference
from alerts.preferences import get_preference

pytestmark = pytest.mark.django_db


@pytest.fixture
def preference(owner):
    return get_preference(owner)


def url(token):
    return reverse("alerts:opt_out", args=[token])


def test_get_only_asks_for_confirmation(preference):
    response = Client().get(url(preference.opt_out_token))
    assert response.status_code == 200
    assert b"Turn alerts off" in response.content and b"owner@example.com" in response.content
    assert AlertPreference.objects.get(pk=preference.pk).enabled


def test_the_one_click_post_turns_alerts_off_without_a_session_or_csrf_token(preference):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url(preference.opt_out_token),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and b"Alerts turned off" in response.content
    assert not AlertPreference.objects.get(pk=preference.pk).enabled


def test_an_unknown_token_changes_nothing(preference):
    response = Client(enforce_csrf_checks=True).post(url("not-the-token"))
    assert response.status_code == 404 and b"not valid" in response.content
    assert AlertPreference.objects.get(pk=preference.pk).enabled


def test_each_user_has_their_own_token(preference, other_user):
    theirs = get_preference(other_user)
    assert theirs.opt_out_token != preference.opt_out_token
    Client().post(url(theirs.opt_out_token))
    assert AlertPreference.objects.get(pk=preference.pk).enabled
    assert not AlertPreference.objects.get(pk=theirs.pk).enabled


def test_the_token_is_stored_only_as_a_hash(preference, other_user):
    from django.db import connection

    from alerts.preferences import lock_preferences

    token = preference.opt_out_token
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM alerts_alertpreference")
        stored = repr(cursor.fetchall())
    assert token not in stored
    import hashlib

    assert hashlib.sha256(token.encode()).hexdigest() in stored
    # Rows made in bulk (the alert path) get a working link too, each its own.
    from django.db import transaction

    with transaction.atomic():
        theirs = lock_preferences([other_user.pk])[other_user.pk]
    assert theirs.opt_out_token != token
    assert Client().get(url(theirs.opt_out_token)).status_code == 200
    assert Client().get(url(token)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_existing_tokens_and_retires_their_links(owner):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    old_token = "an-old-plain-token-" + "x" * 30
    executor = MigrationExecutor(connection)
    executor.migrate([("alerts", "0003_channel_deliveries")])
    try:
        old_apps = executor.loader.project_state([("alerts", "0003_channel_deliveries")]).apps
        old_apps.get_model("alerts", "AlertPreference").objects.create(user_id=owner.pk, unsubscribe_token=old_token)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM alerts_alertpreference")
        assert old_token not in repr(cursor.fetchall())
    preference = AlertPreference.objects.get(user=owner)
    # The old link is retired (the page says so); the new one works.
    assert Client().get(url(old_token)).status_code == 404
    assert Client().get(url(preference.opt_out_token)).status_code == 200
