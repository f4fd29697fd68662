"""Encryption at rest for stored secrets (channel webhook URLs and signing secrets, Plannr tokens).

MultiFernet over the keys in FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys,
newest first): new values are encrypted with the first key, and any listed key
decrypts. Rotation is: put a new key first, keep the old ones, run
`manage.py channel rotate` (re-encrypts every row with the first key), then drop
the old keys. See docs/channels.md.

When FIELD_ENCRYPTION_KEYS is unset a key is derived from SECRET_KEY, so the
embedded run works without one; then changing SECRET_KEY makes every stored
secret unreadable (docs/channels.md says to set the keys in production).
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableSecret(Exception):
    """No configured key opens this value (a key was removed too early)."""

    def __str__(self):
        return "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."


def _derived_key():
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"plannr-monitor", info=b"field-encryption")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


@functools.cache
def _fernet(keys):
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        # Never echo the value: it is the key.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes each; "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from None


def fernet():
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS) or (_derived_key(),)
    return _fernet(keys)


def encrypt(plaintext):
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token):
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret() from None


def rotate(token):
    """The same secret encrypted under the first key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret() from None
