"""Runtime fault knobs and the per-token rate limit of the simulated API (both thread-safe)."""

import collections
import math
import random
import threading
import time

KINDS = ("500", "hang", "timeout", "malformed", "429", "401")
# Faults that replace the answer before the rate limit is consulted (they cost no budget).
_BEFORE_BUDGET = ("401", "429")


class Faults:
    """Random shares of bad answers plus a queue of scheduled ones for deterministic tests.

    latency: seconds added to every API request; error_rate: share answered 500;
    hang_rate/hang_seconds: share held for hang_seconds before answering (to
    exceed a client's read timeout); malformed_rate: share answered 200 with a
    truncated JSON body.
    """

    RATES = ("error_rate", "hang_rate", "malformed_rate")
    SECONDS = ("latency", "hang_seconds")

    def __init__(self, seed=0):
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._scheduled = collections.deque()
        self.reset()

    def reset(self):
        with self._lock:
            self.latency = 0.0
            self.error_rate = 0.0
            self.hang_rate = 0.0
            self.hang_seconds = 35.0
            self.malformed_rate = 0.0
            self._scheduled.clear()

    def update(self, **values):
        """Set several knobs at once; ValueError (naming the knob) on a bad value."""
        checked = {}
        for name, value in values.items():
            if name not in self.RATES + self.SECONDS:
                raise ValueError(f"unknown fault knob {name!r}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if name in self.RATES and not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
            if name in self.SECONDS and value < 0:
                raise ValueError(f"{name} must not be negative, got {value!r}")
            checked[name] = float(value)
        with self._lock:
            for name, value in checked.items():
                setattr(self, name, value)

    def as_dict(self):
        with self._lock:
            return {
                name: getattr(self, name) for name in self.SECONDS + self.RATES
            } | {"scheduled": [kind for kind, _ in self._scheduled]}

    def schedule(self, kind, count=1, retry_after=2):
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if kind == "timeout":
            kind = "hang"
        count = int(count)
        retry_after = int(retry_after)
        if count < 1 or retry_after < 0:
            raise ValueError("count must be at least 1 and retry_after not negative")
        with self._lock:
            self._scheduled.extend([(kind, retry_after)] * count)

    def take_before_budget(self):
        """A scheduled 401/429 at the head of the queue, or None."""
        with self._lock:
            if self._scheduled and self._scheduled[0][0] in _BEFORE_BUDGET:
                return self._scheduled.popleft()
            return None

    def take(self):
        """The fault for this request: a scheduled one first, else a random draw; or None."""
        with self._lock:
            if self._scheduled and self._scheduled[0][0] not in _BEFORE_BUDGET:
                return self._scheduled.popleft()
            if not (self.error_rate or self.hang_rate or self.malformed_rate):
                return None
            roll = self._rng.random()
            if roll < self.error_rate:
                return ("500", 0)
            roll -= self.error_rate
            if roll < self.hang_rate:
                return ("hang", 0)
            roll -= self.hang_rate
            if roll < self.malformed_rate:
                return ("malformed", 0)
            return None


class RateLimiter:
    """Laravel's fixed window: it opens at a token's first request and lasts 60 s."""

    WINDOW = 60.0

    def __init__(self, limit, clock=time.monotonic):
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._windows = {}  # token -> [window_start, hits]

    def _window(self, token, now):
        window = self._windows.get(token)
        if window is None or now - window[0] >= self.WINDOW:
            window = [now, 0]
            self._windows[token] = window
        return window

    def hit(self, token):
        """(allowed, remaining, retry_after_seconds). Refused requests do not count."""
        with self._lock:
            now = self.clock()
            window = self._window(token, now)
            if window[1] >= self.limit:
                retry = max(1, math.ceil(window[0] + self.WINDOW - now))
                return False, 0, retry
            window[1] += 1
            return True, self.limit - window[1], 0

    def remaining(self, token):
        with self._lock:
            window = self._windows.get(token)
            if window is None or self.clock() - window[0] >= self.WINDOW:
                return self.limit
            return max(0, self.limit - window[1])

    def reset(self):
        with self._lock:
            self._windows.clear()
