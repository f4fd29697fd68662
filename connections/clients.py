"""The Plannr client of a connection: its base URL, token, account header and shared budget.

One client per connection and credentials per process (Celery children build their
own). An OAuth access token near its end is refreshed first; a refresh that fails
breaks the connection (services.mark_broken) and raises Unauthorized.
"""

import logging
import os
import threading

from django.conf import settings
from django.utils import timezone

from plannr import PlannrClient, Unauthorized
from plannr.client import USER_AGENT
from plannr.wire import token_fingerprint

from . import oauth
from .models import AuthKind, Connection

logger = logging.getLogger("connections")

_clients = {}
_lock = threading.Lock()


def _limiter():
    from plannr.ratelimit import get_rate_limiter

    return get_rate_limiter()


def build_client(base_url, token, *, account_uuid=None, budget_key=None, limiter=None):
    """A client outside the per-connection cache (testing credentials before they are stored)."""
    return PlannrClient(
        base_url, token, account_uuid=account_uuid, budget_key=budget_key,
        batch_size=settings.PLANNR_BATCH_SIZE, connect_timeout=settings.PLANNR_CONNECT_TIMEOUT,
        read_timeout=settings.PLANNR_READ_TIMEOUT, rate_limiter=limiter if limiter is not None else _limiter(),
        user_agent=f"{USER_AGENT} (+{settings.SITE_URL})",
    )


def _refresh_if_due(connection, now):
    if connection.auth_kind != AuthKind.OAUTH:
        return
    if connection.access_expires_at is not None and connection.access_expires_at > now + oauth.REFRESH_MARGIN:
        return
    from . import services

    try:
        access, refresh, expires = oauth.refresh(connection.base_url, connection.refresh_token(), now)
    except oauth.OAuthError as exc:
        services.mark_broken(connection.pk, str(exc), now)
        raise Unauthorized(str(exc)) from None
    connection.set_token(access, refresh_token=refresh or connection.refresh_token(), keep_budget_key=True)
    connection.access_expires_at = expires
    Connection.objects.filter(pk=connection.pk).update(
        token_encrypted=connection.token_encrypted, refresh_token_encrypted=connection.refresh_token_encrypted,
        access_expires_at=expires, budget_key=connection.budget_key,
    )
    logger.info("connection %s: OAuth access token refreshed", connection.name)


def client_for(connection, now=None):
    """The process's client for this connection as it is stored now."""
    _refresh_if_due(connection, now or timezone.now())
    token = connection.token()
    limiter = _limiter()
    key = (
        os.getpid(), connection.pk, connection.base_url, token_fingerprint(token), str(connection.account_uuid or ""),
        connection.budget_key, settings.PLANNR_BATCH_SIZE, settings.PLANNR_CONNECT_TIMEOUT,
        settings.PLANNR_READ_TIMEOUT, id(limiter),
    )
    with _lock:
        client = _clients.get(key)
        if client is None:
            pid = os.getpid()
            # Clients inherited through fork share sockets with the parent; a changed
            # connection's old client is no use either.
            for stale in [k for k in _clients if k[0] != pid or k[1] == connection.pk]:
                del _clients[stale]
            client = _clients[key] = build_client(
                connection.base_url, token, account_uuid=connection.account_uuid,
                budget_key=connection.budget_key, limiter=limiter,
            )
        client.connection_id = connection.pk
        client.connection_name = connection.name
        return client


def client_for_id(connection_id, now=None):
    return client_for(Connection.objects.get(pk=connection_id), now)


def default_client():
    """The `default` connection's client (the environment's PLANNR_API_TOKEN)."""
    from . import services
    from .defaults import ensure_default

    return client_for(services.ensure_account(ensure_default()))
