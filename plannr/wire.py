"""What comes off the wire from Plannr: bodies decoded, header numbers read, timeouts told
apart from refused connections, and the token named only by its fingerprint."""

import hashlib
import json
import socket

import orjson
import requests
import urllib3.exceptions


def decode(content):
    """orjson first (3x faster); the standard parser for what orjson refuses but JSON allows.

    orjson rejects `\\ud800`-style lone surrogate escapes; they are valid JSON, and
    storing them is ingest's business (plannr/text.py).
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def token_fingerprint(token):
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()[:12]


def header_int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def is_timeout(exc):
    """requests reports a read timeout during the body as a ConnectionError; look inside."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            # A refused connection or failed DNS lookup; urllib3 files it under timeouts.
            continue
        if isinstance(current, (requests.Timeout, urllib3.exceptions.TimeoutError, socket.timeout)):
            return True
        linked = [*getattr(current, "args", ()), getattr(current, "reason", None)]
        linked += [current.__cause__, current.__context__]
        stack.extend(item for item in linked if isinstance(item, BaseException))
    return False
