"""Alerts: who wants them, what failed, and what is said about an incident.

`FailureEvent` is one failure of one execution (unique per execution, step and
kind): the history the alerts page lists. `Alert` is one message about an incident
(an `AlertEvent`); its rows in the one outbox, `channels.models.Delivery`, are its
destinations. `ThrottleWindow` is an hour of a user's alert emails (alerts/throttle.py).
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from executions.models import Execution, FailureKind
from incidents.models import Incident


def new_opt_out_token():
    # Kept for migration 0001, which names it as a default.
    return secrets.token_urlsafe(32)


def new_opt_out_salt():
    return secrets.token_hex(16)


def opt_out_token_for(salt):
    """The one-click link's token: derived from the row's salt and SECRET_KEY, so that the
    database alone (a backup, a dump) holds no working link."""
    # The HMAC label predates the name "opt out": changing it would break every link already sent.
    digest = hmac.new(settings.SECRET_KEY.encode(), f"alerts.unsubscribe:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def opt_out_hash_of(token):
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_opt_out_fields():
    """A new row's salt and the hash its link is looked up by (bulk_create calls no save())."""
    salt = new_opt_out_salt()
    return {"opt_out_salt": salt, "opt_out_hash": opt_out_hash_of(opt_out_token_for(salt))}


class AlertPreference(models.Model):
    """A user's alert settings, created on first use (no row means the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference"
    )
    enabled = models.BooleanField("Email me when a watched execution fails", default=True)
    # Blank means the account's own address.
    email = models.EmailField("Send alerts to", blank=True)
    # The one-click List-Unsubscribe link's token is derived from this salt and SECRET_KEY
    # (`opt_out_token`); only its sha256 is stored, to find the row. Never logged.
    opt_out_salt = models.CharField(max_length=32, default=new_opt_out_salt)
    opt_out_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"alert preferences of {self.user}"

    def save(self, *args, **kwargs):
        if not self.opt_out_hash:
            self.opt_out_hash = opt_out_hash_of(self.opt_out_token)
        super().save(*args, **kwargs)

    @property
    def opt_out_token(self):
        return opt_out_token_for(self.opt_out_salt)

    @property
    def address(self):
        return self.email or self.user.email


class FailureEvent(models.Model):
    """One failure, recorded once, in the transaction that ingested it.

    Names are copied from the execution at detection time so that an email sent
    later (after a retry, or in a digest) describes what was seen then.
    """

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="failure_events")
    step_uuid = models.CharField(max_length=36, blank=True)  # "" for the execution itself
    # FailureKind.FAILED or HIDDEN; a blank step_uuid means the execution's own status failed.
    kind = models.CharField(max_length=20, choices=FailureKind.choices)
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
        return f"{self.label}: {self.blueprint_name} / {self.step_name or '-'}"

    @property
    def on_execution(self):
        return not self.step_uuid

    @property
    def label(self):
        if self.on_execution:
            return "Execution failed"
        return "Step failed" if self.kind == FailureKind.FAILED else FailureKind(self.kind).label


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


class AlertEvent(models.TextChoices):
    """The one vocabulary of alert events: an Alert's `kind`, a Notification's `event`, and the
    webhook's `type` as "incident.<event>" (docs/channels.md)."""

    OPENED = "opened", "New incident"
    REGRESSED = "regressed", "Regression"
    REMINDER = "reminder", "Still failing"
    # Reserved for the "resolved" message; no alert is sent for it yet.
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One alert about an incident: a new incident, a regression, or a reminder.

    Its deliveries are due at `fold_until`: occurrences detected until then are
    folded into the same message (it is rendered when sent). A reminder covers
    the occurrences detected after `since`.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=AlertEvent.choices)
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
