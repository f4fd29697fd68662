"""The `default` connection, defined by the environment (backward compatible).

PLANNR_API_TOKEN, PLANNR_BASE_URL and the optional PLANNR_ACCOUNT_UUID define a
connection named `default`, created or updated the first time a process needs it
(and whenever those settings change). Without PLANNR_ACCOUNT_UUID the account is
chosen from /api/v1/logins on first use (services.ensure_account).
"""

import threading

from django.conf import settings
from django.db import transaction

from plannr.wire import token_fingerprint

from .models import DEFAULT_NAME, Connection

_known = {}
_lock = threading.Lock()


def _env_key():
    return (settings.PLANNR_BASE_URL, token_fingerprint(settings.PLANNR_API_TOKEN), settings.PLANNR_ACCOUNT_UUID or "")


def forget():
    """Drop the process's memory of the default connection (tests roll the database back)."""
    with _lock:
        _known.clear()
    from . import services

    services._success_written.clear()


def default_id():
    """The `default` connection's id without a query once this process knows it."""
    with _lock:
        known = _known.get(_env_key())
    return known if known is not None else ensure_default().pk


def ensure_default():
    """The `default` connection, in step with the environment (one dict lookup once known)."""
    key = _env_key()
    with _lock:
        known = _known.get(key)
    if known is not None:
        connection = Connection.objects.filter(pk=known).first()
        if connection is not None:
            return connection
    with transaction.atomic():
        connection = Connection.objects.select_for_update().filter(name=DEFAULT_NAME).first()
        created = connection is None
        if created:
            connection = Connection(name=DEFAULT_NAME)
        token = settings.PLANNR_API_TOKEN
        changed = created or connection.base_url != settings.PLANNR_BASE_URL or (
            token_fingerprint(token) != token_fingerprint(connection.token())
        )
        account = settings.PLANNR_ACCOUNT_UUID.strip().lower() if settings.PLANNR_ACCOUNT_UUID else ""
        if account and str(connection.account_uuid or "") != account:
            connection.account_uuid, connection.account_name, connection.firm_name = account, "", ""
            changed = True
        elif changed and not account:
            connection.account_uuid = None  # chosen again, for the new token, on first use
        if changed:
            connection.base_url = settings.PLANNR_BASE_URL
            connection.set_token(token)
            connection.save()
            if not created:
                from . import services

                services.restore(connection.pk, reason="the environment gave a new token")
    with _lock:
        _known.clear()
        _known[key] = connection.pk
    return connection
