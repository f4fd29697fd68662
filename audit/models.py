from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def expired(self, now, days):
        return self.filter(at__lt=now - timezone.timedelta(days=days))

    def update(self, **kwargs):
        raise AppendOnly("audit rows are never changed")

    def delete(self):
        raise AppendOnly("audit rows are only removed by prune_expired()")

    def erase_details(self, pk, **fields):
        """Overwrite a row's target/before/after: the only change an audit row takes, for a
        data subject's erasure (privacy/erasure.py), which is itself audited."""
        allowed = {"target", "before", "after"}
        if not fields or set(fields) - allowed:
            raise AppendOnly(f"only {sorted(allowed)} may be erased")
        return models.QuerySet.update(self.filter(pk=pk), **fields)

    def prune_expired(self, now, days):
        """Delete the rows older than the retention period; the only deletion there is."""
        return models.QuerySet.delete(self.expired(now, days))


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The name at the time; kept when the user is deleted, and for failed sign-ins.
    actor_name = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("audit rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit rows are only removed by prune_expired()")
