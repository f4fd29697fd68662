"""Creating, checking and revoking API tokens: used by the tokens page, the API and `api_token`."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

import audit

from .models import ApiToken, Scope

PREFIX = "pm_"
# How stale `last_used_at` may get: writing it on every request would make every
# API call a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw):
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user, name, scope=Scope.READ, expires_at=None, personal_data=False):
    """A new token for `user`: returns (ApiToken, the token itself). Only the hash is kept.

    `personal_data`: the `personal-data` scope (unredacted answers, docs/personal-data.md)."""
    if scope not in Scope.values:
        raise ValueError(f"scope must be one of {Scope.values}")
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            scope=scope,
            token_hash=hash_token(raw),
            prefix=raw[: len(PREFIX) + 6],
            expires_at=expires_at,
            personal_data=personal_data,
        )
        # Neither the token, its hash nor its prefix (a piece of the token): what it is, not what opens it.
        audit.record("api_token.create", target=f"api_token:{token.pk}", after=_audited(token))
    return token, raw


def _audited(token):
    return {"owner": token.user.get_username(), "name": token.name, "scope": token.scope,
            "personal_data": token.personal_data, "expires_at": token.expires_at}


def find_token(raw, now=None):
    """The ApiToken `raw` stands for, usable or not (the caller says why not); None if unknown."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    return token


def mark_used(token, now):
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke(token, now=None):
    """Revoke one of a user's tokens; revoking twice keeps the first time."""
    now = now or timezone.now()
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            audit.record("api_token.revoke", target=f"api_token:{token.pk}", before=_audited(token))
    token.refresh_from_db(fields=["revoked_at"])


def live_count(user, **_):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


def revoke_all(user, **_):
    """Every live token of `user` revoked, each audited as a revocation by hand is."""
    revoked = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        revoke(token)
        revoked += 1
    return revoked
