"""The request budget of a Plannr token, shared by every worker that uses it.

Plannr allows 500 requests per minute per token, however many workers send them.
The Redis limiter keeps a sliding log of request times per token fingerprint, so
the budget holds across processes and hosts; a 429's Retry-After blocks the token
for everyone. The window is a little longer than Plannr's minute so that request
latency cannot push two windows' worth of requests into one of Plannr's.

Without Redis (the embedded run's fallback) a per-process limiter does the same
for the single worker process that mode runs.
"""

import logging
import os
import threading
import time
import uuid
from collections import deque

from django.conf import settings

logger = logging.getLogger("plannr.ratelimit")

WINDOW_SECONDS = 61.0

# KEYS: log, block. ARGV: limit, window_ms, member.
# Returns 0 when a slot was taken, else milliseconds to wait before trying again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return blocked end
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class RedisRateLimiter:
    def __init__(self, client, limit_per_minute, *, window=WINDOW_SECONDS, prefix="plannr:ratelimit"):
        self.redis = client
        self.limit = limit_per_minute
        self.window_ms = int(window * 1000)
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)

    def _keys(self, fingerprint):
        return [f"{self.prefix}:{fingerprint}:log", f"{self.prefix}:{fingerprint}:block",
                f"{self.prefix}:{fingerprint}:remaining"]

    def try_acquire(self, fingerprint):
        """Take a slot if one is free; otherwise return the seconds to wait."""
        wait_ms = self._acquire(keys=self._keys(fingerprint)[:2], args=[self.limit, self.window_ms, uuid.uuid4().hex])
        return int(wait_ms) / 1000.0

    def acquire(self, fingerprint, while_waiting=None):
        """Block until the token may send one more request; return the seconds waited.

        `while_waiting` is called before each pause (a batch keeps its claim alive with it).
        """
        started = time.monotonic()
        while True:
            wait = self.try_acquire(fingerprint)
            if wait <= 0:
                waited = time.monotonic() - started
                if waited >= 1:
                    logger.info("waited %.1fs for the shared rate budget", waited, extra={"waited_s": round(waited, 2)})
                return waited
            if while_waiting is not None:
                while_waiting()
            time.sleep(min(wait, 1.0))

    def observe(self, fingerprint, remaining=None, limit=None, retry_after=None):
        if retry_after:
            # Everyone sharing the token holds off until Plannr lifts the limit.
            self.redis.set(self._keys(fingerprint)[1], "1", px=max(1, int(retry_after * 1000)))
        if remaining is not None:
            # What Plannr last said is left (X-Ratelimit-Remaining), for this window only.
            self.redis.set(self._keys(fingerprint)[2], int(remaining), px=self.window_ms)

    def reported_remaining(self, fingerprint):
        """Plannr's last X-Ratelimit-Remaining for this budget within the window, or None."""
        value = self.redis.get(self._keys(fingerprint)[2])
        return int(value) if value is not None else None

    def blocked_for(self, fingerprint):
        ttl = self.redis.pttl(self._keys(fingerprint)[1])
        return ttl / 1000.0 if ttl and ttl > 0 else 0.0

    def used(self, fingerprint):
        """Requests counted in the current window (for logs and benchmarks)."""
        log = self._keys(fingerprint)[0]
        seconds, micros = self.redis.time()
        now_ms = seconds * 1000 + micros // 1000
        return self.redis.zcount(log, now_ms - self.window_ms, "+inf")


class LocalRateLimiter:
    """The same sliding log, for one process (no Redis)."""

    def __init__(self, limit_per_minute, *, window=WINDOW_SECONDS, clock=time.monotonic):
        self.limit = limit_per_minute
        self.window = window
        self.clock = clock
        self._log = {}
        self._blocked_until = {}
        self._remaining = {}
        self._lock = threading.Lock()

    def try_acquire(self, fingerprint):
        with self._lock:
            now = self.clock()
            blocked = self._blocked_until.get(fingerprint, 0) - now
            if blocked > 0:
                return blocked
            log = self._log.setdefault(fingerprint, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) < self.limit:
                log.append(now)
                return 0.0
            return max(0.001, log[0] + self.window - now)

    def acquire(self, fingerprint, while_waiting=None):
        started = self.clock()
        while (wait := self.try_acquire(fingerprint)) > 0:
            if while_waiting is not None:
                while_waiting()
            time.sleep(min(wait, 1.0))
        return self.clock() - started

    def observe(self, fingerprint, remaining=None, limit=None, retry_after=None):
        with self._lock:
            if retry_after:
                self._blocked_until[fingerprint] = self.clock() + retry_after
            if remaining is not None:
                self._remaining[fingerprint] = (int(remaining), self.clock() + self.window)

    def reported_remaining(self, fingerprint):
        with self._lock:
            remaining, until = self._remaining.get(fingerprint, (None, 0))
            return remaining if until > self.clock() else None

    def blocked_for(self, fingerprint):
        with self._lock:
            return max(0.0, self._blocked_until.get(fingerprint, 0) - self.clock())

    def used(self, fingerprint):
        with self._lock:
            now = self.clock()
            return sum(1 for t in self._log.get(fingerprint, ()) if t > now - self.window)


_limiters = {}


def get_rate_limiter():
    """The process's limiter for the configured Redis (or the local one without Redis)."""
    key = (os.getpid(), settings.REDIS_URL, settings.PLANNR_RATE_LIMIT_PER_MINUTE)
    limiter = _limiters.get(key)
    if limiter is None:
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10, socket_connect_timeout=5)
            limiter = RedisRateLimiter(client, settings.PLANNR_RATE_LIMIT_PER_MINUTE)
        else:
            limiter = LocalRateLimiter(settings.PLANNR_RATE_LIMIT_PER_MINUTE)
        _limiters.clear()
        _limiters[key] = limiter
    return limiter
