"""Expectations: what a blueprint should do, so that silence and slowness are failures too.

An `Expectation` belongs to a blueprint within a Plannr connection (the blueprint's uuid
in that connection's account; executions carry only the blueprint's name, kept here from
when the expectation was made). Only that connection's executions and monitors count for
it. Two kinds:

- volume: at least `at_least` executions within every window of `within_minutes`,
  optionally only inside business `hours` ("mon-fri 08:00-18:00") in `time_zone`;
- deadline: every execution finishes within `finish_within_minutes` of its creation.

A learned suggestion (`suggested=True`) is an expectation nobody accepted yet: it is
shown, never evaluated, never alerted on. The evaluation (expectations/evaluation.py)
writes `state`, `reason` and `last_checked`.
"""

from django.conf import settings
from django.db import models

from connections.models import default_connection_id


# An expectation's incident's message (the fingerprint's last part) is "expectation:<pk>".
INCIDENT_PREFIX = "expectation"


class Kind(models.TextChoices):
    VOLUME = "volume", "Volume"
    DEADLINE = "deadline", "Deadline"


class State(models.TextChoices):
    # The values are the `expect list` contract.
    PENDING = "pending", "Not checked yet"
    OK = "ok", "OK"
    BREACHED = "breached", "Breached"
    NOT_WATCHED = "not watched", "Not watched"
    QUIET = "quiet", "Quiet"


class ExpectationQuerySet(models.QuerySet):
    def accepted(self):
        """What the evaluation checks: everything but unaccepted suggestions."""
        return self.filter(suggested=False)

    def suggestions(self):
        return self.filter(suggested=True)

    def for_blueprint(self, blueprint_uuid):
        return self.filter(blueprint_uuid=blueprint_uuid)

    def breached(self):
        return self.accepted().filter(state=State.BREACHED)

    def of_incident(self, incident):
        """The expectation whose breach `incident` is (its fingerprint message), or None."""
        prefix, _, pk = incident.message.partition(":")
        return self.filter(pk=pk).first() if prefix == INCIDENT_PREFIX and pk.isdigit() else None


class Expectation(models.Model):
    name = models.CharField(max_length=200, blank=True)
    # The Plannr connection (account) whose blueprint this is; PROTECT as for monitors.
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="expectations", default=default_connection_id
    )
    blueprint_uuid = models.UUIDField()
    blueprint_name = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at_least = models.PositiveIntegerField(null=True, blank=True)
    within_minutes = models.PositiveIntegerField(null=True, blank=True)
    finish_within_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Business hours, "mon-fri 08:00-18:00" (expectations/hours.py); blank: all the time.
    hours = models.CharField(max_length=100, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    # A learned suggestion nobody accepted: shown, never evaluated.
    suggested = models.BooleanField(default=False)

    state = models.CharField(max_length=15, choices=State.choices, default=State.PENDING)
    # Why: the breach, or why nothing was raised (quiet, not watched).
    reason = models.CharField(max_length=500, blank=True)
    last_checked = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExpectationQuerySet.as_manager()

    class Meta:
        ordering = ["blueprint_name", "id"]
        indexes = [models.Index(fields=["blueprint_uuid"], name="expectation_blueprint_idx")]

    def __str__(self):
        return self.name or self.rule_text()

    def rule_text(self):
        if self.kind == Kind.DEADLINE:
            return f"every execution finishes within {self.finish_within_minutes} min"
        text = f"at least {self.at_least} per {_minutes(self.within_minutes)}"
        if self.hours:
            text += f", {self.hours} {self.time_zone}"
        return text

    def fingerprint_message(self):
        """What makes this expectation's incident its own (incidents/fingerprint.py's last part)."""
        return f"{INCIDENT_PREFIX}:{self.pk}"


def _minutes(minutes):
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} min"
