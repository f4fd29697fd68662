"""A connection: one Plannr base URL, credentials, and the one account they act for.

Executions and monitors belong to a connection (`executions` and `monitors` point
here; this app imports neither). Secrets are encrypted with dashboard/crypto.py
(FIELD_ENCRYPTION_KEYS) and never leave this model except through `token()` into
the Plannr client's Authorization header.
"""

import datetime as dt

from django.db import models
from django.db.models import Q

from dashboard import crypto
from plannr.wire import token_fingerprint

DEFAULT_NAME = "default"
# A token whose expiry is this close turns the connection `expiring`; the Admins are told at each.
EXPIRY_WARNINGS_DAYS = (14, 3)


class AuthKind(models.TextChoices):
    TOKEN = "token", "Personal access token"
    OAUTH = "oauth", "OAuth (Connect with Plannr)"


class State(models.TextChoices):
    OK = "ok", "OK"
    EXPIRING = "expiring", "Expiring"
    BROKEN = "broken", "Broken"


class BreakKind(models.TextChoices):
    NONE = "", "Not broken"
    # Plannr refused the credentials (401/403, a failed OAuth refresh): polling stops.
    REFUSED = "refused", "Refused by Plannr"
    # No successful request for 3 poll intervals while executions were due: polling goes on.
    DEGRADED = "degraded", "No successful request"


class ConnectionQuerySet(models.QuerySet):
    def pollable(self):
        """Connections whose executions are polled: not paused, and Plannr has not refused them."""
        return self.filter(paused=False).exclude(break_kind=BreakKind.REFUSED)

    def broken(self):
        return self.filter(broken_since__isnull=False)

    def expiring_by(self, day):
        return self.filter(expires_at__isnull=False, expires_at__lte=day)


class Connection(models.Model):
    name = models.CharField(max_length=100, unique=True)
    base_url = models.URLField(max_length=500)
    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.TOKEN)
    # The personal token, or the OAuth access token; and the OAuth refresh token.
    token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    # Names the Plannr user for the shared rate budget (500 a minute per user, not per
    # connection): the token's fingerprint, kept across OAuth refreshes.
    budget_key = models.CharField(max_length=16, blank=True)

    # The account every request acts for (X-PLANNR-ACCOUNT-UUID), as /api/v1/logins names it.
    account_uuid = models.UUIDField(null=True, blank=True)
    account_name = models.CharField(max_length=500, blank=True)
    account_type = models.CharField(max_length=50, blank=True)
    firm_name = models.CharField(max_length=500, blank=True)

    # The personal token's expiry, as the person entered it.
    expires_at = models.DateField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    broken_since = models.DateTimeField(null=True, blank=True)
    break_kind = models.CharField(max_length=10, choices=BreakKind.choices, default=BreakKind.NONE, blank=True)
    # What Plannr answered (already masked: Plannr's message, never a secret).
    broken_reason = models.TextField(blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    # Plannr's last X-Ratelimit-Remaining for this connection's requests.
    ratelimit_remaining = models.IntegerField(null=True, blank=True)
    # What the Admins were last told: a reminder every CONNECTION_REMINDER_HOURS, an expiry warning once per threshold.
    last_alerted_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_days = models.PositiveSmallIntegerField(null=True, blank=True)

    # Links out to Plannr's web app (undocumented URLs, so configurable): e.g.
    # https://app.example.com/clients/{client_uuid}. Empty: no link.
    execution_url_template = models.CharField(max_length=500, blank=True)
    client_url_template = models.CharField(max_length=500, blank=True)
    blueprint_url_template = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(broken_since__isnull=True, break_kind="") | Q(broken_since__isnull=False) & ~Q(break_kind=""),
                name="connection_break_consistent",
            ),
        ]

    def __str__(self):
        return self.name

    # --- secrets -----------------------------------------------------------------------

    def token(self):
        return crypto.decrypt(self.token_encrypted) if self.token_encrypted else ""

    def refresh_token(self):
        return crypto.decrypt(self.refresh_token_encrypted) if self.refresh_token_encrypted else ""

    def set_token(self, token, *, refresh_token=None, keep_budget_key=False):
        self.token_encrypted = crypto.encrypt(token) if token else ""
        if refresh_token is not None:
            self.refresh_token_encrypted = crypto.encrypt(refresh_token) if refresh_token else ""
        if not keep_budget_key or not self.budget_key:
            self.budget_key = token_fingerprint(token)

    # --- state ---------------------------------------------------------------------------

    def state(self, today=None):
        if self.broken_since is not None:
            return State.BROKEN
        today = today or dt.date.today()
        if self.expires_at is not None and self.expires_at <= today + dt.timedelta(days=EXPIRY_WARNINGS_DAYS[0]):
            return State.EXPIRING
        return State.OK

    def link(self, kind, **values):
        """The URL of a thing in Plannr's web app from this connection's template, or "" when
        there is no template or it names a value we do not have."""
        template = getattr(self, f"{kind}_url_template", "")
        if not template:
            return ""
        try:
            url = template.format_map({k: v for k, v in values.items() if v})
        except (KeyError, IndexError, ValueError):
            return ""
        return url if url.startswith(("https://", "http://")) else ""

    def execution_links(self, execution):
        """{"execution": URL, "client": URL} of one of this connection's executions in
        Plannr's web app; "" where there is no template."""
        return {
            "execution": self.link("execution", execution_uuid=str(execution.uuid)),
            "client": self.link("client", client_uuid=str(execution.account_uuid or "")),
        }

    @property
    def account_label(self):
        """`UUID (ACCOUNT NAME, FIRM)`, as the commands print it."""
        return f"{self.account_uuid} ({self.account_name}, {self.firm_name})"


def default_connection_id():
    """The `default` connection's id (created from the environment if need be): the field
    default of what belongs to a connection, so rows made without one belong to it."""
    from .defaults import default_id

    return default_id()
