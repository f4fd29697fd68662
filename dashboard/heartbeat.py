"""Workers and beat say they are alive, so that /healthz?deep=1 can tell when one is gone.

Each worker writes, every HEARTBEAT_SECONDS, the time it was last seen for each
queue it consumes; beat writes its own as it ticks. They go to the default
cache (Redis, or files on the embedded run's filesystem broker), shared by every
process. /healthz?deep=1 and `python -m dashboard.health` (compose's checks)
report a queue without a worker, or a beat, not seen for 3 × HEARTBEAT_SECONDS.
A worker that exited, hung, or lost Redis stops writing.
"""

import logging
import time

from celery import bootsteps
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

KEY = "heartbeat:{}"
MISSED_BEATS = 3


def _record(names):
    from django.core.cache import cache

    try:
        now = time.time()
        cache.set_many({KEY.format(name): now for name in names}, timeout=None)
    except Exception as exc:  # Redis down: not being seen is the point
        logger.debug("heartbeat not recorded (%s)", type(exc).__name__)


def last_seen(names):
    """{name: seconds since last seen, or None if never}; names: queue names, or "beat"."""
    from django.core.cache import cache

    stored = cache.get_many([KEY.format(name) for name in names])
    now = time.time()
    return {name: (now - stored[KEY.format(name)]) if KEY.format(name) in stored else None for name in names}


def period():
    from django.conf import settings

    return settings.HEARTBEAT_SECONDS


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker bootstep: one heartbeat per consumed queue, from the worker's timer thread."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker, **kwargs):
        self.entry = None

    def start(self, worker):
        queues = sorted(worker.app.amqp.queues.consume_from)
        self.entry = worker.timer.call_repeatedly(period(), _record, (queues,))
        _record(queues)

    def stop(self, worker):
        if self.entry is not None:
            self.entry.cancel()


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, recording beat's heartbeat as it ticks (CELERY_BEAT_SCHEDULER)."""

    _last_beat = 0.0

    def tick(self, *args, **kwargs):
        if time.monotonic() - self._last_beat >= period():
            self._last_beat = time.monotonic()
            _record(["beat"])
        return min(super().tick(*args, **kwargs), period())
