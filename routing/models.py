"""Routes, escalation policies and severities (docs/routing.md).

- `BlueprintSeverity`: an Admin's mark on a blueprint that matters (its incidents' base severity).
- `Route`: ordered (position, then id); the first whose conditions all match an incident
  wins. Blank conditions match anything. No route matching (or none defined) is the
  default route: watchers and monitor subscribers, as before routes existed.
- `RouteTarget`: who a route tells at once (a channel or a user).
- `EscalationStep`: "after M minutes unacknowledged, notify X" (a user, a channel, or every
  Operator); the route's `repeat_minutes`/`max_repeats` repeat its last step.
- `Escalation`: one row per incident whose route has steps: where its policy stands and
  when the next step is due (`next_at`, null once stopped or finished), so the beat task
  finds every due step with one indexed query.
"""

from django.conf import settings
from django.db import models

from incidents.models import Severity


class BlueprintSeverity(models.Model):
    blueprint_name = models.CharField(max_length=500, unique=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)

    def __str__(self):
        return f"{self.blueprint_name}: {self.severity}"


class Route(models.Model):
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    monitor = models.ForeignKey("monitors.Monitor", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="routes")
    # A blueprint's name, or its uuid (matched through the monitors made for it).
    blueprint = models.CharField(max_length=500, blank=True)
    family = models.CharField(max_length=10, blank=True)  # executions.models.FailureKind
    min_severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    # The last escalation step repeats every repeat_minutes, at most max_repeats times.
    repeat_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_repeats = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"route {self.pk} {self.name!r}"


class RouteTarget(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey("channels.Channel", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__isnull=True) ^ models.Q(user__isnull=True), name="route_target_one"
            ),
        ]


class EscalationStep(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    after_minutes = models.PositiveIntegerField()
    channel = models.ForeignKey("channels.Channel", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    # Everyone with the Operator role (accounts.roles.triagers()).
    operators = models.BooleanField(default=False)

    class Meta:
        ordering = ["route", "position"]

    def describe(self):
        if self.operators:
            return "everyone with the Operator role"
        if self.channel_id:
            return f"channel {self.channel_id}"
        return f"user {self.user.get_username()}" if self.user else "nobody"


class Escalation(models.Model):
    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="escalation")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="+")
    # When the policy (re)started: the incident opened or regressed.
    started_at = models.DateTimeField()
    # Steps taken so far in this run (repeats of the last step included).
    taken = models.PositiveIntegerField(default=0)
    next_at = models.DateTimeField(null=True, blank=True)
    stopped_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_at"], name="escalation_due_idx")]


class UsedActionLink(models.Model):
    """An alert's action link that was used: its nonce is spent, so the link works once."""

    nonce = models.CharField(max_length=64, unique=True)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    used_at = models.DateTimeField()
