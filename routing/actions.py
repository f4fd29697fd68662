"""Acknowledge and Resolve links in alerts: signed, one incident and one action, once.

A link's token is `django.core.signing` of {incident, action, nonce} with its own
salt; it expires after ACTION_LINK_HOURS. Opening it needs a signed-in user (the
accounts middleware sends others through sign-in, 2FA or SSO, and back), then
shows a confirmation page with one POST button: a mail scanner that follows
links changes nothing. The POST spends the nonce (`UsedActionLink`, unique) in
the same transaction as the change, which goes through incidents.services as
the signed-in person, so it is in the history and the audit log as theirs.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "routing.action-link"
ACTIONS = ("acknowledge", "resolve")


class Invalid(Exception):
    """The link cannot be used; the message is what the page says."""


def token(incident_id, action):
    if action not in ACTIONS:
        raise ValueError(action)
    return signing.dumps({"i": incident_id, "a": action, "n": secrets.token_urlsafe(12)}, salt=SALT)


def link(incident_id, action):
    return f"{settings.SITE_URL}{reverse('routing:action', args=[token(incident_id, action)])}"


def links(incident_id):
    """{"acknowledge": url, "resolve": url}: for an alert's body and buttons."""
    return {action: link(incident_id, action) for action in ACTIONS}


def read(value):
    """(incident id, action, nonce) of a valid, unexpired token; raises Invalid."""
    try:
        data = signing.loads(value, salt=SALT, max_age=settings.ACTION_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise Invalid(f"This link has expired: links in alerts work for {settings.ACTION_LINK_HOURS} hours.") from None
    except signing.BadSignature:
        raise Invalid("This link is not valid: it may have been cut short or changed.") from None
    if not isinstance(data, dict) or data.get("a") not in ACTIONS or not isinstance(data.get("i"), int):
        raise Invalid("This link is not valid: it may have been cut short or changed.")
    return data["i"], data["a"], str(data.get("n", ""))
