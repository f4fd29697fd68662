"""Alert channels: where a notification can be sent, what happened to each attempt.

`Channel` holds its target (an email address, or a webhook URL that is its own
credential) and, for generic webhooks, a signing secret, both encrypted at rest
(dashboard/crypto.py) and never part of a repr, a form's initial data or a page.
`DeliveryAttempt` is the per-channel attempt log. `Delivery` is the one outbox:
every alert, digest, notice and test message to one destination.
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts import visibility

from dashboard import crypto
from .masking import mask_target


class Kind(models.TextChoices):
    EMAIL = "email", "Email"
    TEAMS = "teams", "Microsoft Teams"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"
    APPRISE = "apprise", "Apprise"
    # Events API v2: the target is the integration's routing key (channels/pagerduty.py).
    PAGERDUTY = "pagerduty", "PagerDuty"


# Kinds whose target is a URL, which is a secret.
URL_KINDS = (Kind.TEAMS, Kind.SLACK, Kind.WEBHOOK, Kind.APPRISE)
# Kinds whose target is a secret: the URLs, and PagerDuty's routing key.
SECRET_KINDS = URL_KINDS + (Kind.PAGERDUTY,)


class ChannelState(models.TextChoices):
    OK = "ok", "Working"
    BROKEN = "broken", "Broken"


def new_signing_secret():
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class ChannelQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The rule is the accounts app's (accounts/visibility.py), as for every model."""
        return visibility.visible_to(self, user)

    def awaiting_broken_notice(self):
        return self.filter(state=ChannelState.BROKEN, broken_notice_sent_at__isnull=True)


class Channel(models.Model):
    # Organisation channels only: the incidents of executions these monitors found are sent here
    # (alerts/channel_alerts.py).
    monitors = models.ManyToManyField("monitors.Monitor", related_name="channels", blank=True)

    # Null owner: an organisation channel, managed by users with accounts.manage_org_channels (Admins).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="channels"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    # Fernet tokens; read and written through .target and .signing_secret only.
    target_encrypted = models.TextField(editable=False)
    signing_secret_encrypted = models.TextField(blank=True, editable=False)
    # Shown instead of the target everywhere (scheme and host of a URL).
    target_display = models.CharField(max_length=300, editable=False)
    state = models.CharField(max_length=10, choices=ChannelState.choices, default=ChannelState.OK)
    # Since when every attempt has failed (null after any success).
    failing_since = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    # The owner's "your channel is broken" email: claimed by setting this, once per breakage.
    broken_notice_sent_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # Teams: the user confirmed that a test message arrived (an old connector URL
    # answers 2xx and delivers nothing).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} channel {self.name!r} ({self.target_display})"

    def __repr__(self):
        return f"<Channel {self.pk} {self.kind} {self.name!r}>"

    @property
    def is_organisation(self):
        return self.owner_id is None

    @property
    def target(self):
        return crypto.decrypt(self.target_encrypted)

    @target.setter
    def target(self, value):
        self.target_encrypted = crypto.encrypt(value)
        self.target_display = mask_target(self.kind, value)

    @property
    def signing_secret(self):
        return crypto.decrypt(self.signing_secret_encrypted) if self.signing_secret_encrypted else ""

    @signing_secret.setter
    def signing_secret(self, value):
        self.signing_secret_encrypted = crypto.encrypt(value) if value else ""

    @property
    def needs_confirmation(self):
        return self.kind == Kind.TEAMS and self.confirmed_at is None

    def secrets(self):
        """Every secret string of this channel, for masking error texts."""
        values = []
        if self.kind in SECRET_KINDS:
            values.append(self.target)
        if self.signing_secret_encrypted:
            values.append(self.signing_secret)
        return values


class DeliveryAttempt(models.Model):
    """One attempt to send to a channel: the delivery log."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    notification_kind = models.CharField(max_length=30)
    subject = models.CharField(max_length=300, blank=True)
    # The same for every attempt at one message (webhook-id, Message-ID).
    idempotency_key = models.CharField(max_length=200)
    ok = models.BooleanField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)  # masked
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["channel", "-at"], name="channel_attempt_recent_idx")]

    def __repr__(self):
        return f"<DeliveryAttempt {self.pk} channel={self.channel_id} ok={self.ok}>"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Over a user's hourly email cap, waiting for the digest that lists it (alerts/throttle.py).
    HELD = "held", "Held for digest"
    # No longer wanted when due (alerts turned off, the watch muted, the incident triaged).
    CANCELLED = "cancelled", "Cancelled"


# States from which a worker may claim a row (once it is due).
CLAIMABLE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)
FINAL_STATES = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.CANCELLED)
UNFINISHED_STATES = ("pending", "retrying", "sending")


class Topic(models.TextChoices):
    """What a delivery says; its composer (channels/outbox.py, `register`) renders it when due."""

    ALERT = "alert", "Incident alert"
    DIGEST = "digest", "Digest of held alerts"
    NOTICE = "notice", "Notice"
    TEST = "test", "Test message"


class DeliveryQuerySet(models.QuerySet):
    def held_for(self, user, incident=None):
        """`user`'s emails the hourly cap holds for a digest (about `incident`, when given)."""
        held = self.filter(user=user, state=DeliveryState.HELD)
        return held if incident is None else held.filter(alert__incident=incident)

    def alert_emails(self):
        """Incident alerts to users' own addresses (not the digests that list some of them)."""
        return self.filter(topic=Topic.ALERT, user__isnull=False)

    def to_channels(self):
        """Incident alerts to channels (a user's or the organisation's)."""
        return self.filter(topic=Topic.ALERT, channel__isnull=False)

    def digests(self):
        return self.filter(topic=Topic.DIGEST)

    def stale_claims(self, before):
        return self.filter(state=DeliveryState.SENDING, claimed_at__lt=before)

    def due(self, before):
        return self.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=before)


class Delivery(models.Model):
    """One message to one destination: the one outbox (channels/outbox.py claims, retries, sweeps it).

    What: `topic`, with the `alert` it is about, or the rendered `notice` (a test message, a
    connection's state). To whom, exactly one of: `channel` (a user's or the organisation's),
    `user` (that user's alert email address, read when it is sent), or `address` (a fixed email
    address). `kind` is the channel kind that sends it (email for `user` and `address`).
    Unique per (alert, channel) and (alert, user): exactly once per alert and destination.
    """

    topic = models.CharField(max_length=10, choices=Topic.choices, default=Topic.ALERT)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EMAIL)
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # {kind, event, subject, text, html, url} of channels.messages.Notification, for notices and tests.
    notice = models.JSONField(default=dict, blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_deliveries"
    )
    # A fixed address (a notice to an Admin's address); for `user` rows, where it was (last) sent.
    address = models.EmailField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Email throttle (alerts/throttle.py): the hour it was counted in, and the digest that lists it if held.
    window = models.ForeignKey(
        "alerts.ThrottleWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="held_deliveries"
    )

    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    # When a PENDING or RETRYING row may next be claimed.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The current claim: only the worker holding this token may finish the row.
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The idempotency key (webhook-id, Message-ID) derives from it: the same on every attempt.
    message_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="outbox_once_per_alert_and_user"),
            models.UniqueConstraint(fields=["alert", "channel"], name="outbox_once_per_alert_and_channel"),
            models.UniqueConstraint(
                fields=["window"], condition=Q(topic="digest"), name="outbox_one_digest_per_window"
            ),
        ]
        indexes = [
            # The sweeper: unfinished rows by due time; finished rows are most of the table.
            models.Index(fields=["next_attempt_at"], name="outbox_due_idx",
                         condition=Q(state__in=UNFINISHED_STATES)),
            models.Index(fields=["user", "-created_at"], name="outbox_user_recent_idx"),
        ]

    def __str__(self):
        return f"{self.get_topic_display()} {self.pk} to {self.destination} ({self.get_state_display()})"

    def __repr__(self):
        return f"<Delivery {self.pk} {self.topic} {self.kind} {self.state}>"

    @property
    def destination(self):
        if self.channel_id:
            return f"channel {self.channel_id}"
        return f"user {self.user_id}" if self.user_id else "an address"

    @property
    def idempotency_key(self):
        """The webhook-id / Message-ID local part, the same on every attempt at this row."""
        if self.topic == Topic.TEST:
            return f"test_{self.message_uuid.hex}"
        if self.user_id:
            return f"{self.topic}.{self.message_uuid}"
        return str(self.message_uuid)

    @property
    def is_final(self):
        return self.state in FINAL_STATES
