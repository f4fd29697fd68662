"""Failure alerts: who wants them, what failed, and the outbox of emails about it.

`FailureEvent` is one failure of one execution (unique per execution, step and
kind). `Delivery` is the outbox row for one email about one event to one user;
`Digest` is the outbox row for the one email that lists the deliveries the
throttle held back in a `ThrottleWindow`. Both outbox models share the claim /
retry bookkeeping of `OutboxMessage`; alerts/outbox.py is the only code that
changes their state.
"""

import base64
import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from executions.failures import EXECUTION_FAILED, HIDDEN_FAILURE, STEP_FAILED
from executions.models import Execution
from incidents.models import Incident


def new_unsubscribe_token():
    # Kept for migration 0001, which names it as a default.
    return secrets.token_urlsafe(32)


def new_unsubscribe_salt():
    return secrets.token_hex(16)


def unsubscribe_token_for(salt):
    """The one-click link's token: derived from the row's salt and SECRET_KEY, so that the
    database alone (a backup, a dump) holds no working link."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"alerts.unsubscribe:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def unsubscribe_hash_of(token):
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_unsubscribe_fields():
    """A new row's salt and the hash its link is looked up by (bulk_create calls no save())."""
    salt = new_unsubscribe_salt()
    return {"unsubscribe_salt": salt, "unsubscribe_hash": unsubscribe_hash_of(unsubscribe_token_for(salt))}


class AlertPreference(models.Model):
    """A user's alert settings, created on first use (no row means the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    enabled = models.BooleanField("Email me when a watched execution fails", default=True)
    # Blank means the account's own address.
    email = models.EmailField("Send alerts to", blank=True)
    # The one-click List-Unsubscribe link's token is derived from this salt and SECRET_KEY
    # (`unsubscribe_token`); only its sha256 is stored, to find the row. Never logged.
    unsubscribe_salt = models.CharField(max_length=32, default=new_unsubscribe_salt)
    unsubscribe_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"alert preferences of {self.user}"

    def save(self, *args, **kwargs):
        if not self.unsubscribe_hash:
            self.unsubscribe_hash = unsubscribe_hash_of(self.unsubscribe_token)
        super().save(*args, **kwargs)

    @property
    def unsubscribe_token(self):
        return unsubscribe_token_for(self.unsubscribe_salt)

    @property
    def address(self):
        return self.email or self.user.email


class EventKind(models.TextChoices):
    STEP_FAILED = STEP_FAILED, "Step failed"
    HIDDEN_FAILURE = HIDDEN_FAILURE, "Hidden failure"
    EXECUTION_FAILED = EXECUTION_FAILED, "Execution failed"


class FailureEvent(models.Model):
    """One failure, recorded once, in the transaction that ingested it.

    Names are copied from the execution at detection time so that an email sent
    later (after a retry, or in a digest) describes what was seen then.
    """

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="failure_events")
    step_uuid = models.CharField(max_length=36, blank=True)  # "" for the execution itself
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    step_name = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=100, blank=True)
    messages = models.JSONField(default=list, blank=True)
    raw_info = models.TextField(blank=True)
    blueprint_name = models.CharField(max_length=500, blank=True)
    client_name = models.CharField(max_length=500, blank=True)
    # Set when no email is sent for the event itself, and why (e.g. an execution
    # failure already reported by the failure of one of its steps).
    suppressed_reason = models.CharField(max_length=200, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "step_uuid", "kind"], name="failure_event_unique"),
        ]
        indexes = [models.Index(fields=["-detected_at"], name="failure_event_recent_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.blueprint_name} / {self.step_name or '-'}"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Deliveries only: over the hourly cap, waiting for the window's digest.
    HELD = "held", "Held for digest"
    # Alerts were turned off, or the watch muted or removed, before sending.
    CANCELLED = "cancelled", "Cancelled"


# States from which a worker may claim a row (RETRYING only once it is due).
CLAIMABLE_STATES = (OutboxState.PENDING, OutboxState.RETRYING)


class OutboxMessage(models.Model):
    """One email to send: claimed by a conditional UPDATE, retried with backoff."""

    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When a PENDING or RETRYING row may next be claimed.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # The current claim: only the worker holding this token may finish the row.
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    address = models.EmailField(blank=True)  # where it was (last) sent
    # The Message-ID is derived from this, so every resend of a row carries the same one.
    message_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ThrottleWindow(models.Model):
    """An hour of a user's alerts: the first ALERT_EMAILS_PER_HOUR are sent, the rest held."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    admitted = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["user", "-ends_at"], name="throttle_window_user_idx")]

    def __str__(self):
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}+1h ({self.admitted} admitted)"


class Digest(OutboxMessage):
    """The email listing a window's held deliveries, due when the window ends."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_digests")
    window = models.OneToOneField(ThrottleWindow, on_delete=models.CASCADE, related_name="digest")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="digest_due_idx",
                condition=Q(state__in=["pending", "retrying", "sending"]),
            ),
        ]

    def __str__(self):
        return f"digest for {self.user} ({self.get_state_display()})"


class AlertKind(models.TextChoices):
    OPENED = "opened", "New incident"
    REGRESSED = "regressed", "Regression"
    REMINDER = "reminder", "Still failing"


class Alert(models.Model):
    """One alert about an incident: a new incident, a regression, or a reminder.

    Its deliveries are due at `fold_until`: occurrences detected until then are
    folded into the same message (it is rendered when sent). A reminder covers
    the occurrences detected after `since`.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    since = models.DateTimeField(null=True, blank=True)
    # The route (routing/) that chose its recipients, or null for the default route. Those
    # a route names are told of every affected execution, watched by them or not.
    route = models.ForeignKey("routing.Route", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fold_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["incident", "-fold_until"], name="alert_incident_recent_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} about incident {self.incident_id}"


class DeliveryQuerySet(models.QuerySet):
    def held_for(self, user, incident=None):
        """`user`'s emails the hourly cap holds for a digest (about `incident`, when given)."""
        held = self.filter(user=user, state=OutboxState.HELD)
        return held if incident is None else held.filter(alert__incident=incident)


class Delivery(OutboxMessage):
    """One alert email to one user: about an incident `alert` (or, before incidents, one `event`).

    The row is the destination of an alert; other channels than email will add
    their own destination beside `user`.
    """

    objects = DeliveryQuerySet.as_manager()

    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        FailureEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_deliveries"
    )
    window = models.ForeignKey(
        ThrottleWindow, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    # Set when the throttle held this delivery: it is sent as part of that digest.
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="delivery_unique_per_user"),
            models.UniqueConstraint(fields=["alert", "user"], name="delivery_once_per_alert_and_user"),
        ]
        indexes = [
            # The sweeper: unfinished rows by due time. Finished rows are most of
            # the table and never looked at by it.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=Q(state__in=["pending", "retrying", "sending"]),
            ),
            models.Index(fields=["user", "-created_at"], name="delivery_user_recent_idx"),
        ]

    def __str__(self):
        return f"alert {self.pk} to {self.user} ({self.get_state_display()})"


class ChannelDelivery(OutboxMessage):
    """One incident alert to one channel (alerts/channel_alerts.py): a channel of a recipient
    (other than email, which is their `Delivery`), or an organisation channel attached to a
    monitor that found an affected execution. `message_uuid` is its idempotency key, so a
    webhook's `webhook-id` is the same on every attempt."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="channel_deliveries")
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="alert_deliveries")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "channel deliveries"
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel"], name="channel_delivery_once_per_alert"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="channel_delivery_due_idx",
                condition=Q(state__in=["pending", "retrying", "sending"]),
            ),
        ]

    def __str__(self):
        return f"alert {self.alert_id} to channel {self.channel_id} ({self.get_state_display()})"
