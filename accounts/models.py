"""Each user's profile (time zone), and the permissions the three roles are made of."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

DEFAULT_TIME_ZONE = "Europe/London"


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London.")


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])
    # Outcome report emails (reports/): the week's on Monday morning, the month's on the
    # 1st, each in the time zone above. Off until the user asks.
    weekly_report = models.BooleanField(default=False)
    monthly_report = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"profile of {self.user}"

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)


class Access(models.Model):
    """Holds the permissions of accounts.roles; it has no rows (and no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_monitoring", "See monitors, incidents and the executions they cover"),
            ("manage_own_watchlist", "Watch and unwatch executions on one's own watchlist"),
            ("triage_incidents", "Acknowledge, resolve, snooze and assign incidents"),
            ("manage_own_channels", "Manage one's own alert channels"),
            ("manage_monitors", "Manage monitors"),
            ("manage_org_channels", "Manage the organisation's alert channels"),
            ("manage_users", "Manage users and their roles"),
            ("view_audit_log", "Read the audit log"),
            ("view_personal_data", "See clients' personal data on pages (others see it redacted)"),
        ]
