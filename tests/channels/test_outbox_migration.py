"""The one-outbox migration moves data: a database filled at the previous schema (two outboxes,
test messages, digests) keeps every row, state, attempt, error and message id after it."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from alerts.models import Alert, FailureEvent, ThrottleWindow
from channels.models import Delivery, DeliveryAttempt, Kind
from tests.builders import failed_step, make_execution, watch

from .builders import make_channel

pytestmark = pytest.mark.django_db(transaction=True)

# The leaf migrations before the one outbox.
OLD = [("alerts", "0004_unsubscribe_hash_sec"), ("channels", "0003_connection_notices_conn")]


def _fill_old_schema(apps, user, alert, channel, event, legacy_event, now):
    """Rows as the two outboxes wrote them; returns their message ids by name."""
    OldDelivery, Digest = apps.get_model("alerts", "Delivery"), apps.get_model("alerts", "Digest")
    ChannelDelivery, TestMessage = apps.get_model("alerts", "ChannelDelivery"), apps.get_model("channels", "TestMessage")
    window = apps.get_model("alerts", "ThrottleWindow").objects.create(
        user_id=user.pk, starts_at=now, ends_at=now + timedelta(hours=1), admitted=1)
    ids = {name: uuid.uuid4() for name in ("sent", "held", "digest", "legacy", "channel", "test", "notice")}
    digest = Digest.objects.create(user_id=user.pk, window=window, state="failed", attempts=8,
                                   last_error="SMTP down", message_uuid=ids["digest"], next_attempt_at=now)
    OldDelivery.objects.create(alert_id=alert.pk, user_id=user.pk, state="sent", attempts=2, sent_at=now,
                               address="owner@example.com", message_uuid=ids["sent"], window=window)
    OldDelivery.objects.create(event_id=event.pk, user_id=user.pk, state="failed", digest=digest, window=window,
                               last_error="The digest listing it could not be sent: SMTP down",
                               message_uuid=ids["held"])
    # A per-failure email from before incidents, still unfinished: that path has no producer any more.
    OldDelivery.objects.create(event_id=legacy_event.pk, user_id=user.pk, state="pending", message_uuid=ids["legacy"])
    ChannelDelivery.objects.create(alert_id=alert.pk, channel_id=channel.pk, state="retrying", attempts=3,
                                   last_error="The receiver answered 500", message_uuid=ids["channel"],
                                   next_attempt_at=now + timedelta(minutes=5))
    TestMessage.objects.create(channel_id=channel.pk, requested_by_id=user.pk, state="sent", attempts=1,
                               last_status_code=204, sent_at=now, message_uuid=ids["test"])
    TestMessage.objects.create(address="admin@example.com", state="pending", message_uuid=ids["notice"],
                               notice={"kind": "connection_broken", "subject": "Plannr connection default is broken",
                                       "text": "t", "html": "<p>t</p>", "url": "http://testserver/connections/"})
    apps.get_model("channels", "DeliveryAttempt").objects.create(
        channel_id=channel.pk, notification_kind="incident_opened", idempotency_key=str(ids["channel"]), ok=False)
    return ids


def test_the_migration_moves_every_outbox_row_with_its_state(owner):
    now = timezone.now()
    execution = make_execution()
    failed_step(execution)
    watch(owner, execution)
    from tests.builders import ingest_signal

    ingest_signal(execution)  # an incident and its alert, at the current schema
    alert = Alert.objects.get()
    event = FailureEvent.objects.first()
    legacy_event = FailureEvent.objects.create(execution=execution, step_uuid="other", kind="hidden_failure")
    channel = make_channel(owner, Kind.WEBHOOK, "https://hooks.example.com/in")
    executor = MigrationExecutor(connection)
    executor.migrate(OLD)
    try:
        apps = executor.loader.project_state(OLD).apps
        ids = _fill_old_schema(apps, owner, alert, channel, event, legacy_event, now)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {row.message_uuid: row for row in Delivery.objects.all()}
    assert set(ids.values()) <= set(rows)
    sent, held, digest = rows[ids["sent"]], rows[ids["held"]], rows[ids["digest"]]
    assert (sent.topic, sent.kind, sent.user_id, sent.alert_id, sent.state, sent.attempts, sent.address) == (
        "alert", "email", owner.pk, alert.pk, "sent", 2, "owner@example.com")
    assert sent.idempotency_key == f"alert.{ids['sent']}"  # the same Message-ID as before
    assert (digest.topic, digest.state, digest.attempts, digest.last_error) == ("digest", "failed", 8, "SMTP down")
    assert held.digest_id == digest.pk and held.state == "failed" and "SMTP down" in held.last_error
    assert held.window_id == digest.window_id and ThrottleWindow.objects.get(pk=digest.window_id).admitted == 1
    legacy = rows[ids["legacy"]]
    assert legacy.state == "cancelled" and "no longer sent" in legacy.last_error and legacy.alert_id is None
    hook = rows[ids["channel"]]
    assert (hook.topic, hook.kind, hook.channel_id, hook.alert_id, hook.state, hook.attempts, hook.last_error) == (
        "alert", "webhook", channel.pk, alert.pk, "retrying", 3, "The receiver answered 500")
    assert hook.idempotency_key == str(ids["channel"])  # the same webhook-id on its next attempt
    test = rows[ids["test"]]
    assert (test.topic, test.channel_id, test.requested_by_id, test.state, test.last_status_code) == (
        "test", channel.pk, owner.pk, "sent", 204)
    assert test.idempotency_key == f"test_{ids['test'].hex}"
    notice = rows[ids["notice"]]
    assert (notice.topic, notice.kind, notice.address, notice.state) == ("notice", "email", "admin@example.com",
                                                                         "pending")
    assert (notice.notice["kind"], notice.notice["event"]) == ("connection", "broken")
    assert DeliveryAttempt.objects.get(channel=channel).notification_kind == "incident.opened"
