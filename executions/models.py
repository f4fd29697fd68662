"""What we know about each watched Plannr execution, and who watches it.

`Execution` holds the latest known state (denormalised so that the watchlist
renders from one row per watch) plus the poll bookkeeping the scheduler needs.
`Step` holds the steps run so far, `Snapshot` every distinct payload seen, and
`Watch` links a user to an execution.
"""

from django.conf import settings
from django.db import models
from django.db.models import Max, Q

from accounts import visibility
from connections.models import default_connection_id


class PollState(models.TextChoices):
    # Not "pending": that is one of Plannr's own statuses, and a status is not a poll state.
    NOT_POLLED = "not_polled", "Not polled yet"
    OK = "ok", "OK"
    NOT_FOUND = "not_found", "Not found"
    UNAUTHORIZED = "unauthorized", "Unauthorized"
    RATE_LIMITED = "rate_limited", "Rate limited"
    SERVER_ERROR = "server_error", "Plannr server error"
    TIMEOUT = "timeout", "Timeout or connection error"
    INVALID = "invalid_payload", "Invalid response"


# Poll trouble is about reaching Plannr, not about the execution: kept apart from failure.
TROUBLE_STATES = frozenset(
    {
        PollState.NOT_FOUND,
        PollState.UNAUTHORIZED,
        PollState.RATE_LIMITED,
        PollState.SERVER_ERROR,
        PollState.TIMEOUT,
        PollState.INVALID,
    }
)


class FailureKind(models.TextChoices):
    """How a failure showed itself: the one vocabulary of steps, occurrences and incidents.

    A step is failed or hidden (blank: no failure); an incident and each of its
    occurrences carry any of the five. Where it happened is the occurrence's step
    (none: the execution itself), not a kind of its own.
    """

    FAILED = "failed", "Failed"
    # Marked completed by Plannr, but its info reports errors.
    HIDDEN = "hidden", "Hidden failure"
    # Running, but waiting for its next step far longer than that step usually takes (incidents/stalls.py).
    STALLED = "stalled", "Stalled"
    # An expectation's breach (expectations/): too few executions, or executions too slow.
    MISSING = "missing", "Missing"
    LATE = "late", "Late"


def _finished_tokens():
    return FinishedClaim.objects.values("token")


class ExecutionQuerySet(models.QuerySet):
    """The poll bookkeeping's named queries: what is due, who holds it, letting it go."""

    def due(self, now):
        return self.filter(next_poll_at__lte=now)

    def unclaimed(self, now):
        """No live claim: never claimed, the claim ended, or its batch finished (FinishedClaim)."""
        return self.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claim_token__in=_finished_tokens())
        )

    def claimed_by(self, token):
        return self.filter(claim_token=token)

    def visible_to(self, user, row_by_row=False):
        """The rule is the accounts app's (accounts/visibility.py), as for every model."""
        return visibility.visible_to(self, user, row_by_row=row_by_row)

    def stale_claims(self):
        """Carrying the claim of a batch that neither finished nor released it (live or expired)."""
        return self.filter(claim_token__isnull=False).exclude(claim_token__in=_finished_tokens())

    def in_flight(self, now):
        """Claimed by a batch whose claim still holds and that has not finished."""
        return self.stale_claims().filter(claimed_until__gte=now)

    def clients_seen(self, limit):
        """[(account uuid, name)] of the clients executions were seen for, by name: the
        monitor form's client picker."""
        rows = (
            self.exclude(account_uuid=None).values("account_uuid").annotate(name=Max("account_name"))
            .order_by("name", "account_uuid")[:limit]
        )
        return [(str(r["account_uuid"]), r["name"]) for r in rows]

    def release(self, **changes):
        """End the claim on these rows, writing `changes` in the same UPDATE."""
        return self.update(claim_token=None, claimed_until=None, **changes)


class Execution(models.Model):
    # Unique per connection (two Plannr accounts are two namespaces), not globally.
    uuid = models.UUIDField(db_index=True)
    # PROTECT: deleting a connection decides what happens to its executions (connections.services.delete).
    connection = models.ForeignKey(
        "connections.Connection", on_delete=models.PROTECT, related_name="executions", default=default_connection_id
    )

    # Latest known state, as Plannr reported it. Blank until the first poll.
    name = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=100, blank=True)
    triggered_by = models.CharField(max_length=255, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    account_uuid = models.UUIDField(null=True, blank=True)
    account_name = models.CharField(max_length=500, blank=True)
    # Plannr's step objects (uuid, name, status, info, executed_at...) as JSON.
    next_step = models.JSONField(null=True, blank=True)
    previous_step = models.JSONField(null=True, blank=True)

    # Derived at ingest so the watchlist needs no per-row queries.
    steps_count = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    is_finished = models.BooleanField(default=False)
    # True when the execution's status, or any step, is a failure (hidden ones too).
    is_failing = models.BooleanField(default=False)
    failure_message = models.TextField(blank=True)

    # Poll bookkeeping.
    poll_state = models.CharField(max_length=20, choices=PollState.choices, default=PollState.NOT_POLLED)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # Null means "not scheduled": unwatched, or finished and confirmed.
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True)
    consecutive_errors = models.PositiveIntegerField(default=0)
    # Set once a finished status has been seen twice in a row: polling stops.
    final_confirmed = models.BooleanField(default=False)
    # A dispatcher's claim: the execution belongs to one batch task until it expires.
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    # sha256 of the canonical JSON of the last stored snapshot.
    payload_hash = models.CharField(max_length=64, blank=True)
    # Bumped on every change a page shows; htmx partials compare it to skip work.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExecutionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "uuid"], name="execution_unique_per_connection"),
        ]
        indexes = [
            # The dispatcher: "due and not claimed", oldest first.
            models.Index(
                fields=["next_poll_at"],
                name="execution_due_idx",
                condition=Q(next_poll_at__isnull=False),
            ),
            models.Index(fields=["status"], name="execution_status_idx"),
            # The overview's "failing now" and "running": read newest first along these and
            # stopped after a page, instead of scanning every execution (monitors/summary.py).
            models.Index(
                fields=["remote_updated_at", "id"], name="execution_failing_idx", condition=Q(is_failing=True)
            ),
            models.Index(
                fields=["remote_created_at", "id"],
                name="execution_running_idx",
                condition=Q(is_finished=False) & ~Q(status=""),
            ),
        ]

    def __str__(self):
        return f"{self.name or 'Execution'} ({self.uuid})"


class Step(models.Model):
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="steps")
    uuid = models.UUIDField()
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=100, blank=True)
    # Plannr's text, untouched, and the human messages parsed out of it.
    info = models.TextField(blank=True)
    messages = models.JSONField(default=list, blank=True)
    failure_kind = models.CharField(
        max_length=10, choices=FailureKind.choices, default="", blank=True
    )
    executed_at = models.DateTimeField(null=True, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["execution", "position"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "uuid"], name="step_unique_per_execution"),
        ]
        indexes = [models.Index(fields=["execution", "position"], name="step_order_idx")]

    def __str__(self):
        return f"{self.position}. {self.name or self.uuid}"


class Snapshot(models.Model):
    """One distinct payload of an execution: written only when the payload changed."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="snapshots")
    fetched_at = models.DateTimeField()
    # The payload as stored: text PostgreSQL cannot hold (NUL, lone surrogates) replaced.
    payload = models.JSONField()
    # Only when that replacement changed something: the faithful payload as ASCII JSON.
    raw_payload = models.TextField(blank=True)
    payload_hash = models.CharField(max_length=64)
    # What changed against the previous snapshot, for the history view:
    # [{"kind": "status", "from": "in_progress", "to": "completed"},
    #  {"kind": "step_added", "step": "Send SMS", "status": "completed"},
    #  {"kind": "step_status", "step": "Send SMS", "from": "pending", "to": "failed"}, ...]
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-fetched_at", "-id"]
        indexes = [models.Index(fields=["execution", "-fetched_at"], name="snapshot_history_idx")]

    def __str__(self):
        return f"{self.execution_id} @ {self.fetched_at:%Y-%m-%d %H:%M:%S}"


class Watch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="watches")
    label = models.CharField(max_length=200, blank=True)
    # Per-watch alert mute (the user's own alert settings live in the alerts app).
    muted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "execution"], name="watch_unique_per_user"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="watch_user_recent_idx")]

    def __str__(self):
        return f"{self.user} watches {self.execution.uuid}"


class FinishedClaim(models.Model):
    """A batch that is done with its executions, so their claims end before `claimed_until`.

    The dispatcher's claim already sets when each execution is polled next (and that
    it was polled), so an execution whose payload did not change needs no write of its
    own after the poll: the batch writes this one row instead of 200. Every query that
    asks whether a row is claimed reads it (`ExecutionQuerySet.unclaimed`, `in_flight`,
    and the claim in sql.py). Rows are pruned once no claim of theirs can still hold.
    """

    token = models.UUIDField(primary_key=True)
    finished_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"batch {self.token} finished"
