"""Who hears about each answer from Plannr.

The client is a leaf that the apps above it use; it must not import them. Code that
wants to count answers (metrics/apps.py registers `metrics.recording`) adds a listener
here instead. A listener is called in the request's thread and must not raise: a
failure to count must not lose a poll, so one that does is logged and skipped.
"""

import logging

logger = logging.getLogger("plannr")
_response_listeners = []


def on_response(listener):
    """Call `listener(path, status, remaining, limit)` after every answer (429s included)."""
    if listener not in _response_listeners:
        _response_listeners.append(listener)


def notify_response(path, status, remaining=None, limit=None):
    for listener in tuple(_response_listeners):
        try:
            listener(path, status, remaining, limit)
        except Exception:
            logger.warning("A Plannr response listener failed", exc_info=True)
