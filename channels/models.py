"""Alert channels: where a notification can be sent, what happened to each attempt.

`Channel` holds its target (an email address, or a webhook URL that is its own
credential) and, for generic webhooks, a signing secret, both encrypted at rest
(channels/crypto.py) and never part of a repr, a form's initial data or a page.
`DeliveryAttempt` is the per-channel delivery log. `TestMessage` is the outbox
row of a "send test message": claimed, retried and swept like an alert.
"""

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts import visibility

from . import crypto
from .masking import mask_target


class Kind(models.TextChoices):
    EMAIL = "email", "Email"
    TEAMS = "teams", "Microsoft Teams"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"
    APPRISE = "apprise", "Apprise"


# Kinds whose target is a URL, which is a secret.
URL_KINDS = (Kind.TEAMS, Kind.SLACK, Kind.WEBHOOK, Kind.APPRISE)


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
        if self.kind in URL_KINDS:
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


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


CLAIMABLE_STATES = (OutboxState.PENDING, OutboxState.RETRYING)
FINAL_STATES = (OutboxState.SENT, OutboxState.FAILED)


class TestMessageQuerySet(models.QuerySet):
    def stale_claims(self, before):
        return self.filter(state=OutboxState.SENDING, claimed_at__lt=before)

    def due(self, before):
        return self.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=before)


class TestMessage(models.Model):
    """A "send test message" request: an outbox row, so a test has an alert's guarantees.

    The same outbox carries notices that are not incident alerts (a Plannr connection's
    state, alerts/connection_alerts.py): `notice` holds the rendered Notification, and a
    notice to a person's email address has `address` instead of a channel.
    """

    __test__ = False  # not a pytest class, whatever its name

    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="test_messages")
    address = models.EmailField(blank=True)
    # {kind, subject, text, html, url} of channels.messages.Notification; empty for a test message.
    notice = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TestMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="channel_test_due_idx")]

    def __repr__(self):
        return f"<TestMessage {self.pk} channel={self.channel_id} {self.state}>"

    @property
    def idempotency_key(self):
        return f"test_{self.message_uuid.hex}"

    @property
    def is_final(self):
        return self.state in FINAL_STATES
