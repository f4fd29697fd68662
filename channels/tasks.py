"""Celery tasks for channels. Thin: the logic is in outbox.py.

acks_late: a worker that dies mid-task leaves the message to be delivered again;
the conditional claim makes that harmless.
"""

import logging

from celery import shared_task
from django.conf import settings

logger = logging.getLogger("channels")

# A broker that is down must not hold up the caller: the sweeper re-queues.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}


def _countdown_limit():
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return options.get("visibility_timeout", 3600) / 2


def enqueue_test_messages(ids, countdown=None):
    if countdown and countdown >= _countdown_limit():
        # Past the broker's visibility timeout it would be redelivered meanwhile: the sweeper queues it.
        return True
    for pk in ids:
        try:
            send_test_message.apply_async((pk,), countdown=countdown, retry=True, retry_policy=_PUBLISH_RETRY)
        except Exception as exc:  # the broker is unreachable; the row is still there
            logger.warning("could not queue %d channel test message(s) (%s); the sweeper will", len(ids),
                           type(exc).__name__)
            return False
    return True


@shared_task(acks_late=True, ignore_result=True)
def send_test_message(test_message_id):
    from . import outbox

    outbox.send(test_message_id, enqueue=enqueue_test_messages)


@shared_task(acks_late=True, ignore_result=True)
def sweep_channels():
    """Run by beat every ALERT_SWEEP_SECONDS."""
    from . import outbox

    outbox.sweep(enqueue_test_messages)
