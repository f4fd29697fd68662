"""Monitors: standing rules that find new Plannr executions by themselves.

A `Monitor` belongs to the organisation (every signed-in user sees it; the
permission `accounts.manage_monitors`, which the Admin role holds, guards
changes). `Finding` links a monitor to each execution it found, so that
pages list a monitor's executions and alerts reach its subscribers.
`Subscription` is a user's opt-in to a monitor's alerts, with a mute.
`BlueprintDay` keeps the per-blueprint daily counts of executions that
retention has pruned, so the counts pages show survive the pruning.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from connections.models import default_connection_id
from executions.models import Execution


class Scope(models.TextChoices):
    EVERYTHING = "everything", "Everything"
    BLUEPRINT = "blueprint", "Blueprint"
    CLIENTS = "clients", "Clients"


class MonitorQuerySet(models.QuerySet):
    def blueprints_known(self):
        """[(uuid, name)] of the blueprints monitors were made for (Plannr named each when
        it was checked): the monitor form's blueprint picker."""
        rows = self.filter(blueprint_uuid__isnull=False).values_list("blueprint_uuid", "blueprint_name")
        return sorted({(str(u), name) for u, name in rows}, key=lambda pair: (pair[1].lower(), pair[0]))

    def active(self, now):
        """Monitors a sweep covers at `now`: not paused, and any pause-until has passed."""
        return self.filter(paused=False).filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))


class Monitor(models.Model):
    name = models.CharField(max_length=200)
    # The Plannr connection (and so the account) whose executions the monitor discovers.
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="monitors", default=default_connection_id
    )
    scope = models.CharField(max_length=20, choices=Scope.choices)
    # Blueprint scope: the uuid, and what the blueprint endpoint said of it when it was validated.
    blueprint_uuid = models.UUIDField(null=True, blank=True)
    blueprint_name = models.CharField(max_length=500, blank=True)
    blueprint_trigger = models.CharField(max_length=255, blank=True)
    blueprint_steps = models.JSONField(default=list, blank=True)
    # Clients scope: client/account uuids, as lowercase strings.
    client_uuids = models.JSONField(default=list, blank=True)

    # Narrowing, on any scope: blueprint name contains (case-insensitive), triggered_by in a list.
    name_contains = models.CharField(max_length=200, blank=True)
    triggered_by = models.JSONField(default=list, blank=True)

    # Only executions Plannr created at or after this moment are taken:
    # the monitor's creation ("from now on") or N days before it (backfill).
    start_at = models.DateTimeField()
    backfill_days = models.PositiveIntegerField(null=True, blank=True)

    paused = models.BooleanField(default=False)
    # A maintenance window: paused until this time, then active again by itself.
    paused_until = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Sweep bookkeeping. `high_water` is the newest Plannr created_at this
    # monitor's sweeps have fully covered; the next sweep stops below it (less
    # DISCOVERY_OVERLAP_SECONDS, against clock skew).
    high_water = models.DateTimeField(null=True, blank=True)
    last_swept_at = models.DateTimeField(null=True, blank=True)
    last_sweep_found = models.PositiveIntegerField(default=0)
    # Requests of the sweep of this monitor's scope (shared with the scope's other monitors).
    last_sweep_requests = models.PositiveIntegerField(default=0)
    # Seconds of Plannr history left unswept when the last sweep hit its page cap; 0 when caught up.
    lag_seconds = models.FloatField(default=0)
    last_sweep_error = models.TextField(blank=True)
    # Where a capped sweep stopped, so the next resumes there instead of re-reading from the
    # top: the scope it belongs to, the newest created_at seen, the offset reached from the
    # top of the list and the list's total then (new executions shift the offset).
    backlog_scope = models.CharField(max_length=100, blank=True)
    backlog_top = models.DateTimeField(null=True, blank=True)
    backlog_offset = models.PositiveIntegerField(default=0)
    backlog_total = models.PositiveIntegerField(default=0)

    objects = MonitorQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def is_paused(self, now):
        return self.paused or (self.paused_until is not None and self.paused_until > now)

    def scope_text(self):
        if self.scope == Scope.BLUEPRINT:
            return f"Blueprint: {self.blueprint_name or self.blueprint_uuid}"
        if self.scope == Scope.CLIENTS:
            n = len(self.client_uuids)
            return f"{n} client{'s' if n != 1 else ''}"
        return "Everything"

    def narrowing_text(self):
        parts = []
        if self.name_contains:
            parts.append(f"name contains “{self.name_contains}”")
        if self.triggered_by:
            parts.append("triggered by " + ", ".join(self.triggered_by))
        return "; ".join(parts)

    def matches(self, name, triggered_by):
        """The narrowing rules, applied to one listed execution."""
        if self.name_contains and self.name_contains.lower() not in (name or "").lower():
            return False
        if self.triggered_by and (triggered_by or "") not in self.triggered_by:
            return False
        return True


class Finding(models.Model):
    """An execution a monitor found."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="findings")
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="monitor_findings")
    found_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "execution"], name="finding_unique_per_monitor"),
        ]
        indexes = [
            models.Index(fields=["monitor", "-found_at"], name="finding_monitor_recent_idx"),
            models.Index(fields=["execution"], name="finding_execution_idx"),
        ]

    def __str__(self):
        return f"{self.monitor} found {self.execution_id}"


class Subscription(models.Model):
    """A user who is alerted about what a monitor finds, unless muted."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="monitor_subscriptions"
    )
    muted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "user"], name="subscription_unique_per_user"),
        ]

    def __str__(self):
        return f"{self.user} subscribes to {self.monitor}"


class BlueprintDay(models.Model):
    """Counts of pruned executions per blueprint (by name, within its connection) and day of creation."""

    day = models.DateField()
    # The same blueprint name in two connected accounts is two blueprints (expectations' suggestions).
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="+", default=default_connection_id
    )
    blueprint_name = models.CharField(max_length=500)
    executions = models.PositiveIntegerField(default=0)
    failing = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "connection", "blueprint_name"], name="blueprint_day_unique"),
        ]

    def __str__(self):
        return f"{self.day} {self.blueprint_name}: {self.executions}"
