"""Logging helpers shared by every process (web, worker, beat, simulator)."""

import logging
import re

from django.conf import settings

REDACTED = "[redacted]"

# URL paths whose tail is a credential: whoever holds the URL can act as the user
# it was made for (turn off their alerts, set their password). Everything after
# the prefix is replaced, in any log line: request lines, referers, "Not Found: ..."
# and redirects alike. A new URL carrying a secret in its path adds its prefix here;
# tests/ops/test_log_secrets.py fails for a `token`/`key`/`secret` URL parameter
# that no prefix covers.
SECRET_URL_PREFIXES = (
    "/alerts/unsubscribe/", "/accounts/reset/", "/accounts/confirm-email/", "/accounts/password/reset/key/",
    "/routing/a/",  # the signed Acknowledge/Resolve links alerts carry
)


def _prefix_pattern(prefix):
    # A slash may arrive percent-encoded (%2F) in a raw request line.
    return "(?:/|%2f)".join(re.escape(part) for part in prefix.split("/"))


_SECRET_URL = re.compile(
    "(" + "|".join(_prefix_pattern(p) for p in SECRET_URL_PREFIXES) + r")[^\s?#\"'<>]+",
    re.IGNORECASE,
)


# A credential sent as a query parameter (a scraper given `/metrics?token=...`): the value
# goes, the name stays.
_SECRET_PARAMETER = re.compile(r"([?&](?:[\w.-]*(?:token|key|secret|signature|password))=)[^&\s\"'<>#]+", re.IGNORECASE)


def redact(text):
    """`text` without the API or metrics token, a secret query parameter's value, or the
    secret part of any secret URL."""
    for name in ("PLANNR_API_TOKEN", "METRICS_TOKEN"):
        token = getattr(settings, name, "")
        if token and token in text:
            text = text.replace(token, REDACTED)
    text = _SECRET_PARAMETER.sub(lambda match: match.group(1) + REDACTED, text)
    return _SECRET_URL.sub(lambda match: match.group(1) + REDACTED + "/", text)


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: no record leaves the process holding a secret.

    The code never logs the API token or an unsubscribe link on purpose; this
    catches the accident (a URL or header echoed in a third-party message,
    Django's "Not Found: <path>") before it reaches a log file.
    """

    def filter(self, record):
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = ()
        if record.exc_info and not record.exc_text:
            # An exception's message can hold a secret too (a header echoed back).
            # Formatters print exc_text when exc_info is gone, so hand them a clean one.
            text = logging.Formatter().formatException(record.exc_info)
            clean = redact(text)
            if clean != text:
                record.exc_text = clean
                record.exc_info = None
        for key, value in list(vars(record).items()):
            if key == "msg" or value is None or isinstance(value, (int, float, bool)):
                continue
            if not isinstance(value, str):
                if key in _STANDARD_ATTRIBUTES:
                    continue
                # An extra such as Django's `request`: a JSON formatter prints its str().
                value = str(value)
            clean = redact(value)
            if clean != value:
                setattr(record, key, clean)
        return True


_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class ClientErrorsOnOneLineFilter(logging.Filter):
    """A 4xx is logged as one line: Django attaches the traceback of the PermissionDenied
    (or Http404...) that produced it, which says nothing about a routine refusal and
    filled `make run`'s terminal. 5xx keep theirs."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
