"""Incidents: failures grouped by cause.

An `Incident` is one cause (its fingerprint: blueprint, step or the execution
itself, failure kind, normalised message). An `Occurrence` is one execution
failing with that cause, at most one per execution. `StatusChange` is the
incident's history, with who made each change (no one: the system did).
incidents/grouping.py is the only writer of incidents and occurrences, and
incidents/services.py the only code that changes a status.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts import visibility
from executions.models import Execution, FailureKind


class Severity(models.TextChoices):
    """How much an incident matters: its blueprint's mark, raised by clients (routing/severity.py)."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


# Higher is more severe; the order severity rises in.
SEVERITY_RANK = {Severity.LOW: 0, Severity.NORMAL: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class Status(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Ignored"
    SNOOZED = "snoozed", "Snoozed"


# Statuses in which an incident sends no alerts.
QUIET = (Status.ACKNOWLEDGED, Status.SNOOZED, Status.IGNORED)
# The order of the list: what needs someone first.
STATUS_ORDER = {Status.OPEN: 0, Status.SNOOZED: 1, Status.ACKNOWLEDGED: 2, Status.RESOLVED: 3, Status.IGNORED: 4}


class IncidentQuerySet(models.QuerySet):
    def needing_attention_first(self):
        """Open ones first, then the rest; most recently seen first within each."""
        order = models.Case(
            *[models.When(status=s, then=models.Value(n)) for s, n in STATUS_ORDER.items()],
            output_field=models.IntegerField(),
        )
        return self.annotate(status_rank=order).order_by("status_rank", "-last_seen", "-id")

    def with_status(self, status):
        return self.filter(status=status) if status else self

    def at_least(self, severity):
        """At `severity` or above (none: every incident)."""
        if not severity:
            return self
        return self.filter(severity__in=[s for s, rank in SEVERITY_RANK.items() if rank >= SEVERITY_RANK[severity]])

    def for_blueprint(self, name):
        return self.filter(blueprint_name=name) if name else self

    def for_monitor(self, monitor_id):
        """Incidents with an occurrence on an execution the monitor found (monitors.models.Finding)."""
        if not monitor_id:
            return self
        found = Occurrence.objects.filter(execution__monitor_findings__monitor_id=monitor_id)
        return self.filter(pk__in=found.values("incident_id"))

    def search(self, text):
        if not text:
            return self
        return self.filter(Q(title__icontains=text) | Q(blueprint_name__icontains=text) | Q(message__icontains=text))

    def visible_to(self, user):
        """The rule is the accounts app's (accounts/visibility.py), as for every model."""
        return visibility.visible_to(self, user)

    def snooze_over(self, now):
        """Snoozed incidents whose time is up, or whose occurrence budget is spent."""
        return self.filter(status=Status.SNOOZED).filter(
            Q(snoozed_until__lte=now) | Q(snooze_until_occurrences__lte=F("occurrences"))
        )


class Incident(models.Model):
    fingerprint = models.CharField(max_length=64, unique=True)
    blueprint_name = models.CharField(max_length=500, blank=True)
    # Blank for an execution-level incident; for a stall, the step it waits to run.
    step_name = models.CharField(max_length=500, blank=True)
    family = models.CharField(max_length=10, choices=FailureKind.choices)
    # The normalised message (the fingerprint's last part) and the readable title.
    message = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=600)
    # The first occurrence's raw info and parsed messages, as Plannr sent them.
    sample_info = models.TextField(blank=True)
    sample_messages = models.JSONField(default=list, blank=True)

    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    # True while an incident that was resolved and came back is open again.
    regression = models.BooleanField(default=False)
    status_changed_at = models.DateTimeField()
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # Snoozed until the occurrence count reaches this.
    snooze_until_occurrences = models.PositiveIntegerField(null=True, blank=True)
    # When the current episode began: creation, or the last regression.
    opened_at = models.DateTimeField()

    occurrences = models.PositiveIntegerField(default=0)
    clients = models.PositiveIntegerField(default=0)
    # Set on every occurrence by the rule routing registers (incidents/hooks.py).
    severity = models.CharField(max_length=10, default=Severity.NORMAL, db_index=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    # Bumped on every change a page shows (the htmx fingerprint).
    version = models.PositiveIntegerField(default=0)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "-last_seen"], name="incident_status_seen_idx"),
            models.Index(fields=["-last_seen"], name="incident_seen_idx"),
            models.Index(fields=["blueprint_name"], name="incident_blueprint_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_execution_level(self):
        return not self.step_name and self.family in (FailureKind.FAILED, FailureKind.HIDDEN)


class OccurrenceQuerySet(models.QuerySet):
    def since(self, when):
        return self.filter(detected_at__gt=when) if when else self

    def uncleared(self, kind):
        """Occurrences of a passing condition (a stall, a late execution) that has not passed yet."""
        return self.filter(kind=kind, cleared_at__isnull=True)

    def uncleared_stalls(self):
        return self.uncleared(FailureKind.STALLED)

    def visible_to(self, user):
        """The rule is the accounts app's (accounts/visibility.py), as for every model."""
        return visibility.visible_to(self, user)

    def of_executions(self):
        """Without the occurrence a missing incident has when its blueprint has no stored execution."""
        return self.filter(execution__isnull=False)


class Occurrence(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="occurrence_rows")
    # Null only for `missing` on a blueprint with no stored execution (it never ran, or
    # nothing is kept): the absence itself is the failure, and there is no execution to hang it on.
    execution = models.ForeignKey(
        Execution, null=True, blank=True, on_delete=models.CASCADE, related_name="incident_occurrences"
    )
    # The incident's kind, for each of its executions: failed, hidden (on step_uuid's step,
    # or on the execution itself when blank), stalled, missing (an expectation's breach; on
    # the blueprint's last execution seen, if any) or late.
    kind = models.CharField(max_length=20, choices=FailureKind.choices)
    step_uuid = models.CharField(max_length=36, blank=True)
    status = models.CharField(max_length=100, blank=True)
    client_name = models.CharField(max_length=500, blank=True)
    # What makes two clients the same: Plannr's account uuid, else the name.
    client_key = models.CharField(max_length=500, blank=True)
    messages = models.JSONField(default=list, blank=True)
    raw_info = models.TextField(blank=True)
    # When the step ran (Plannr's executed_at), or when the stall began.
    occurred_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField()
    # Stalls and late executions only: when the execution moved on (or finished).
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects = OccurrenceQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "execution"], name="occurrence_once_per_execution"),
        ]
        indexes = [
            models.Index(fields=["incident", "-detected_at"], name="occurrence_recent_idx"),
            models.Index(fields=["incident", "client_key"], name="occurrence_client_idx"),
        ]

    def __str__(self):
        return f"{self.incident_id} @ {self.execution_id}"


class StatusChange(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15)
    # Null: the system (a regression, a snooze running out, a stall clearing).
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.incident_id}: {self.from_status} -> {self.to_status}"
