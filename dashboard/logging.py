"""Logging helpers shared by every process (web, worker, beat, simulator)."""

import logging

from django.conf import settings

REDACTED = "[redacted]"


class RedactSecretsFilter(logging.Filter):
    """Last line of defence: no record leaves the process holding the API token.

    The code never logs the token on purpose; this catches the accident (a URL or
    header echoed in a third-party message) before it reaches a log file.
    """

    def filter(self, record):
        token = getattr(settings, "PLANNR_API_TOKEN", "")
        if not token:
            return True
        message = record.getMessage()
        if token in message:
            record.msg = message.replace(token, REDACTED)
            record.args = ()
        if record.exc_info and not record.exc_text:
            # An exception's message can hold the token too (a header echoed back).
            # Formatters print exc_text when exc_info is gone, so hand them a clean one.
            text = logging.Formatter().formatException(record.exc_info)
            if token in text:
                record.exc_text = text
                record.exc_info = None
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and token in value and key not in ("msg",):
                setattr(record, key, value.replace(token, REDACTED))
        return True
