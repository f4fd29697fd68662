"""The per-token request budget of the API: a fixed window per minute, counted in Redis.

Every web process shares the count through Redis. Without Redis (the embedded
run's no-Redis mode) each process counts on its own. If Redis fails, requests
are let through: the limit protects the server, and refusing every API call
because the counter is down would turn a Redis hiccup into an outage.
"""

import logging
import threading
import time

from django.conf import settings
from ninja.throttling import BaseThrottle

from .models import ApiToken

logger = logging.getLogger("api")
WINDOW = 60

_local_counts = {}
_local_lock = threading.Lock()
_clients = {}


def _redis():
    url = settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients.clear()
        _clients[url] = client
    return client


def hit(key, limit, now=None):
    """Count one request for `key`; 0 if it is allowed, else the seconds until the window ends."""
    now = time.time() if now is None else now
    start = int(now // WINDOW) * WINDOW
    wait = max(1, int(start + WINDOW - now + 0.999))
    client = _redis()
    if client is None:
        with _local_lock:
            for stale in [k for k in _local_counts if k[1] < start]:
                del _local_counts[stale]
            count = _local_counts[(key, start)] = _local_counts.get((key, start), 0) + 1
    else:
        name = f"api:ratelimit:{key}:{start}"
        try:
            pipe = client.pipeline()
            pipe.incr(name)
            pipe.expire(name, WINDOW * 2)
            count = pipe.execute()[0]
        except Exception as exc:
            logger.warning("API rate limit not checked: Redis failed (%s)", type(exc).__name__)
            return 0
    return 0 if count <= limit else wait


class PerTokenThrottle(BaseThrottle):
    """API_RATE_LIMIT_PER_MINUTE requests per token (per user for session requests)."""

    _state = threading.local()

    def allow_request(self, request):
        auth = getattr(request, "auth", None)
        key = f"token:{auth.pk}" if isinstance(auth, ApiToken) else f"user:{request.user.pk}"
        self._state.wait = hit(key, settings.API_RATE_LIMIT_PER_MINUTE)
        return self._state.wait == 0

    def wait(self):
        return getattr(self._state, "wait", None) or None
