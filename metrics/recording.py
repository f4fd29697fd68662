"""What other apps call to count an event: cheap, and never in the way of the caller.

A leaf module, like logging: it imports no models. The Plannr client reaches it
through `plannr.hooks` (registered in metrics/apps.py), never by importing it. A failure to count (Redis down,
no Redis at all) is swallowed: losing a sample must not lose a poll.
"""

import logging
import re
import time

from . import store

logger = logging.getLogger("metrics")
# Path segments that are ids (UUIDs, numbers) become "{id}": one label value per endpoint.
_ID_SEGMENT = re.compile(r"/(?:[0-9a-fA-F-]{32,36}|\d+)(?=/|$)")
_last_warning = [0.0]


def endpoint_label(path):
    return _ID_SEGMENT.sub("/{id}", path or "")[:100]


def record_plannr_response(path, status, remaining=None, limit=None):
    """Count one answer from Plannr (the HTTP status, 429s included) and its rate headers."""
    try:
        client = store.redis_client()
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(store.REQUESTS_KEY, f"{endpoint_label(path)}|{int(status)}", 1)
        if remaining is not None or limit is not None:
            fields = {"at": f"{time.time():.3f}"}
            if remaining is not None:
                fields["remaining"] = int(remaining)
            if limit is not None:
                fields["limit"] = int(limit)
            pipe.hset(store.RATELIMIT_KEY, mapping=fields)
        pipe.execute()
    except store.NoRedis:
        return
    except Exception as exc:
        # At most one warning a minute: a Redis outage must not flood the log.
        now = time.monotonic()
        if now - _last_warning[0] > 60:
            _last_warning[0] = now
            logger.warning("Plannr request not counted for metrics: %s", type(exc).__name__)
