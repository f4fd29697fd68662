from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import AuditEvent


@shared_task
def prune_audit_log():
    """Delete rows older than AUDIT_RETENTION_DAYS (beat runs it daily)."""
    deleted, _ = AuditEvent.objects.prune_expired(timezone.now(), settings.AUDIT_RETENTION_DAYS)
    return deleted
