"""Personal API tokens: a user's key to `/api/v1/`, shown once and stored hashed."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Scope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now):
        """Tokens that authenticate right now: not revoked, not expired."""
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    # The `personal-data` scope: answers unredacted (if the owner's role may see personal
    # data too: privacy/access.py). Without it, client data is redacted (privacy/).
    personal_data = models.BooleanField(default=False)
    # sha256 of the whole token. Tokens are 256 random bits, so a fast hash is enough:
    # there is nothing to brute-force, and every request can check one cheaply.
    token_hash = models.CharField(max_length=64, unique=True)
    # The token's first characters, so that people can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_idx")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now):
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def can_write(self):
        return self.scope == Scope.WRITE
