"""Where metric values live between processes: Redis, shared by every web and Celery process.

Counters (Plannr requests) are incremented in Redis by whichever process made the
request; the snapshot of database-derived values is written by the periodic task.
Any web worker can then answer a scrape with the same numbers from two Redis reads.
"""

import json
import os

from django.conf import settings

PREFIX = "metrics:"
REQUESTS_KEY = PREFIX + "plannr_requests"  # hash "endpoint|status" -> count
RATELIMIT_KEY = PREFIX + "plannr_ratelimit"  # hash: what Plannr last said about the budget
SNAPSHOT_KEY = PREFIX + "snapshot"

_clients = {}


class NoRedis(Exception):
    """Metrics need Redis (REDIS_URL); the no-Redis embedded mode has none."""


def redis_client():
    url = settings.REDIS_URL
    if not url:
        raise NoRedis("REDIS_URL is empty")
    key = (os.getpid(), url)
    client = _clients.get(key)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _clients.clear()
        _clients[key] = client
    return client


def save_snapshot(snapshot):
    # Kept for a few refresh intervals: a snapshot older than that is gone, not
    # served as if current (the age gauge says how old the one served is).
    ttl = max(60, settings.METRICS_REFRESH_SECONDS * 10)
    redis_client().set(SNAPSHOT_KEY, json.dumps(snapshot), ex=ttl)


def load_snapshot():
    raw = redis_client().get(SNAPSHOT_KEY)
    return json.loads(raw) if raw else None


def request_counts():
    """{(endpoint, status): count} of Plannr requests, from every process."""
    counts = {}
    for field, value in redis_client().hgetall(REQUESTS_KEY).items():
        endpoint, _, status = field.decode().rpartition("|")
        counts[(endpoint, status)] = int(value)
    return counts


def plannr_ratelimit():
    return {k.decode(): v.decode() for k, v in redis_client().hgetall(RATELIMIT_KEY).items()}
