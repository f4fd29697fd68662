"""A client as a count, not a copy: the keyed hash that stands for a client once its data is cleared.

Personal-data retention (monitors/personal_data.py) replaces an occurrence's client key with
`hashed_key(...)` and keeps `client_hash(...)` in the daily counts, so "distinct clients"
stays exact without the identifier. Keyed by SECRET_KEY: the hash cannot be reversed by
trying names, and 64 bits keep distinct clients distinct.
"""

import hashlib
import hmac

from django.conf import settings

HASHED_PREFIX = "h:"


def client_hash(connection_id, key):
    """A client's key (account uuid, else name) within its connection, as 16 hex digits."""
    message = f"{connection_id}:{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:16]


def hashed_key(connection_id, key):
    """What an occurrence's `client_key` becomes when its client is cleared."""
    return f"{HASHED_PREFIX}{client_hash(connection_id, key)}"
