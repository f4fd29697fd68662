"""The one row that makes a report email idempotent: one per user, period kind and period start.

Written before the email is queued, under a unique constraint, so a beat that runs twice
(a restart, two beats) never sends a period's report twice. `sent_at` is set once the
message went; rows without it are retried by the same beat task.
"""

from django.conf import settings
from django.db import models


class ReportEmail(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5)  # "week" or "month"
    start = models.DateField()
    created_at = models.DateTimeField()
    # The outbox row that sends it (its state, attempts and errors are there).
    delivery = models.ForeignKey(
        "channels.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "period", "start"], name="report_email_once_per_period"),
        ]

    def __str__(self):
        return f"{self.period} report from {self.start} to user {self.user_id}"
