"""One outbox: every alert email, digest, channel alert, notice and test message becomes a
channels.Delivery row. Rows are copied with their state, attempts, errors, claim, times and
`message_uuid` (so a retry after the upgrade carries the same Message-ID / webhook-id); the
old tables are dropped only after the copy (alerts 0006). Per-failure emails from before
incidents (an `event` and no alert) are kept as history; one still unfinished is cancelled,
as that path has no producer any more. Notices and the delivery log take the one spelling
of events ("connection" + "broken", "incident.opened"). Backwards: the rows are not copied back.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

BOOKKEEPING = ("state", "attempts", "last_error", "next_attempt_at", "claim_token", "claimed_at", "sent_at",
               "message_uuid", "created_at", "updated_at")
UNFINISHED = ("pending", "retrying", "sending", "held")
LEGACY = "Per-failure emails are no longer sent; the incident's alert says it."


def _fields(row):
    return {name: getattr(row, name) for name in BOOKKEEPING}


def _spelling(kind):
    """"incident_opened" -> "incident.opened": the log's kind is the webhook's type."""
    return kind.replace("_", ".", 1) if kind.startswith(("incident_", "connection_")) else kind


def copy(apps, schema_editor):
    Delivery = apps.get_model("channels", "Delivery")
    Attempt = apps.get_model("channels", "DeliveryAttempt")
    TestMessage = apps.get_model("channels", "TestMessage")
    OldDelivery = apps.get_model("alerts", "Delivery")
    Digest = apps.get_model("alerts", "Digest")
    ChannelDelivery = apps.get_model("alerts", "ChannelDelivery")

    digests = {}
    for digest in Digest.objects.order_by("pk").iterator():
        new = Delivery.objects.create(topic="digest", kind="email", user_id=digest.user_id,
                                      window_id=digest.window_id, address=digest.address, **_fields(digest))
        digests[digest.pk] = new.pk
    rows = []
    for old in OldDelivery.objects.order_by("pk").iterator():
        fields = _fields(old)
        if old.alert_id is None and fields["state"] in UNFINISHED:
            fields.update(state="cancelled", last_error=LEGACY, claim_token=None)
        rows.append(Delivery(topic="alert", kind="email", alert_id=old.alert_id, user_id=old.user_id,
                             address=old.address, window_id=old.window_id,
                             digest_id=digests.get(old.digest_id), **fields))
    for old in ChannelDelivery.objects.select_related("channel").order_by("pk").iterator():
        rows.append(Delivery(topic="alert", kind=old.channel.kind, alert_id=old.alert_id,
                             channel_id=old.channel_id, **_fields(old)))
    for old in TestMessage.objects.select_related("channel").order_by("pk").iterator():
        notice = dict(old.notice or {})
        if notice:
            kind, _, event = notice.get("kind", "").partition("_")
            notice.update(kind=kind, event=event)
        rows.append(Delivery(topic="notice" if notice else "test",
                             kind=old.channel.kind if old.channel_id else "email", channel_id=old.channel_id,
                             address=old.address, notice=notice, requested_by_id=old.requested_by_id,
                             last_status_code=old.last_status_code, **_fields(old)))
    Delivery.objects.bulk_create(rows, batch_size=1000)
    for kind in Attempt.objects.values_list("notification_kind", flat=True).distinct():
        if _spelling(kind) != kind:
            Attempt.objects.filter(notification_kind=kind).update(notification_kind=_spelling(kind))


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0005_outbox_opt_out"),
        ("channels", "0003_connection_notices_conn"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Delivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("topic", models.CharField(choices=[("alert", "Incident alert"), ("digest", "Digest of held alerts"), ("notice", "Notice"), ("test", "Test message")], default="alert", max_length=10)),
                ("kind", models.CharField(choices=[("email", "Email"), ("teams", "Microsoft Teams"), ("slack", "Slack"), ("webhook", "Webhook"), ("apprise", "Apprise")], default="email", max_length=10)),
                ("notice", models.JSONField(blank=True, default=dict)),
                ("address", models.EmailField(blank=True, max_length=254)),
                ("state", models.CharField(choices=[("pending", "Pending"), ("sending", "Sending"), ("retrying", "Retrying"), ("sent", "Sent"), ("failed", "Failed"), ("held", "Held for digest"), ("cancelled", "Cancelled")], default="pending", max_length=10)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("last_status_code", models.PositiveIntegerField(blank=True, null=True)),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("claim_token", models.UUIDField(blank=True, null=True)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("message_uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("alert", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="alerts.alert")),
                ("channel", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="channels.channel")),
                ("digest", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="held_deliveries", to="channels.delivery")),
                ("requested_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("window", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="alerts.throttlewindow")),
            ],
            options={"verbose_name_plural": "deliveries", "ordering": ["-created_at", "-id"]},
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(condition=models.Q(("state__in", ("pending", "retrying", "sending"))), fields=["next_attempt_at"], name="outbox_due_idx"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["user", "-created_at"], name="outbox_user_recent_idx"),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(fields=("alert", "user"), name="outbox_once_per_alert_and_user"),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(fields=("alert", "channel"), name="outbox_once_per_alert_and_channel"),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(condition=models.Q(("topic", "digest")), fields=("window",), name="outbox_one_digest_per_window"),
        ),
        migrations.RunPython(copy, migrations.RunPython.noop),
        migrations.DeleteModel(name="TestMessage"),
    ]
