"""Masking secrets for display, logs and error texts.

A Slack, Teams or webhook URL is its own credential: only its scheme and host
are ever shown. Error texts (which may quote the URL, e.g. a requests exception)
pass through `mask_secrets` with the channel's secrets before they are stored,
logged or rendered.
"""

from urllib.parse import urlsplit

MASK = "[redacted]"
# A fragment shorter than this is not worth masking (and would mangle the text).
MIN_FRAGMENT = 6


def mask_target(kind, value):
    if kind == "email":
        return value
    if kind == "pagerduty":  # a routing key is all secret: the channel's name tells two apart
        return "PagerDuty routing key"
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        return MASK
    if kind == "apprise" or not host:
        return f"{parts.scheme}://…" if parts.scheme else MASK
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def secret_fragments(secret):
    """The secret itself and the parts of it that a message might quote alone."""
    fragments = {secret}
    try:
        parts = urlsplit(secret)
    except ValueError:
        parts = None
    if parts and parts.scheme and parts.netloc:
        if parts.path:
            fragments.add(parts.path)
            fragments.update(parts.path.split("/"))
        if parts.query:
            fragments.add(parts.query)
            for pair in parts.query.split("&"):
                fragments.update(pair.split("=", 1))
        if parts.password:
            fragments.add(parts.password)
        if parts.username:
            fragments.add(parts.username)
        if parts.scheme not in ("http", "https"):
            # An Apprise URL keeps its credentials in the "host" part (tgram://bot-token/chat).
            fragments.add(parts.netloc)
    return sorted((f for f in fragments if len(f) >= MIN_FRAGMENT), key=len, reverse=True)


def mask_secrets(text, secrets):
    text = str(text)
    for secret in secrets:
        for fragment in secret_fragments(secret):
            text = text.replace(fragment, MASK)
    return text
