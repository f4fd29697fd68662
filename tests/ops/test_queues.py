"""Issue 20, point 31: a receiver that never answers does not hold up polling.

Polling, discovery and deliveries go to separate queues (settings.CELERY_TASK_ROUTES).
Production gives polling its own worker (docker-compose.yml); the embedded run gives
each queue its own threads in one process (ops/embedded_celery.py). Both are
run here as real processes, against a hanging HTTP receiver, with channel sends
that each hold a sender for CHANNEL_READ_TIMEOUT: more sends than senders. Before,
every kind of task shared one pool and one queue, and polling stopped (for 144 s
at a 10 s interval in the drill).
"""

import time

import pytest
from django.conf import settings as django_settings

from channels import outbox
from channels.models import Kind
from channels.tasks import enqueue_deliveries
from tests.channels.builders import make_channel
from tests.executions.polling_helpers import watch_all
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

READ_TIMEOUT = 30
SENDS = 6
WORKER_ENV = {"ALLOW_PRIVATE_WEBHOOK_TARGETS": "true", "CHANNEL_READ_TIMEOUT": str(READ_TIMEOUT)}


def test_every_task_is_routed_to_its_queue():
    from dashboard.celery import app

    route = app.amqp.router.route
    expected = {
        "executions.tasks.dispatch_polls": "polling",
        "executions.tasks.poll_batch": "polling",
        "executions.tasks.poll_now": "polling",
        "monitors.tasks.discover": "discovery",
        "channels.tasks.send_delivery": "deliveries",
        "channels.tasks.sweep_deliveries": "celery",
        "monitors.tasks.prune": "celery",
    }
    assert {name: route({}, name)["queue"].name for name in expected} == expected
    assert set(django_settings.CELERY_TASK_QUEUES) == {"polling", "discovery", "deliveries", "celery"}


@pytest.mark.parametrize("layout", ["production", "embedded"])
def test_polling_keeps_its_interval_while_a_receiver_hangs(
    layout, celery_processes, webhook_receiver, simulator, owner, settings
):
    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    if layout == "production":
        # As docker-compose.yml: a polling worker, and a worker for the other queues.
        celery_processes.worker(name="polling", queues="polling", concurrency=1, extra_env=WORKER_ENV)
        celery_processes.worker(name="others", queues="deliveries,discovery,celery", concurrency=2,
                                extra_env=WORKER_ENV)
        celery_processes.beat(extra_env=WORKER_ENV)
    else:
        # As the Procfile: one process, beat inside.
        celery_processes.worker(name="embedded", embedded=True, extra_env=WORKER_ENV)

    watch_all(owner, simulator.create_many(3))
    try:
        wait_for(lambda: simulator.stats.list_requests >= 2, timeout=30, message="polling to start")
    except Exception:
        print("\n".join(proc.output()[-4000:] for proc in celery_processes.started))
        raise

    webhook_receiver.hang()
    for n in range(SENDS):
        channel = make_channel(owner, Kind.WEBHOOK, webhook_receiver.url(f"/hook/{n}"), name=f"hook {n}")
        outbox.request_test(channel, owner, enqueue_deliveries)
    # Every sender is now held: the deliveries worker's 2 processes, or the embedded run's thread.
    webhook_receiver.wait_for_count(2 if layout == "production" else 1, timeout=30)

    started, polls = time.monotonic(), []

    def polled_ten_more():
        count = simulator.stats.list_requests
        if not polls or count != polls[-1][1]:
            polls.append((time.monotonic(), count))
        return count >= polls[0][1] + 10

    wait_for(polled_ten_more, timeout=READ_TIMEOUT - 5, message="polls while the receiver hangs")
    waited = time.monotonic() - started
    gaps = [b[0] - a[0] for a, b in zip(polls, polls[1:])]
    print(f"{layout}: 10 polls in {waited:.1f} s, longest gap {max(gaps):.1f} s")
    assert webhook_receiver.delivered() == []  # the sends were still hanging all along
    assert max(gaps) <= 3 * settings.POLL_INTERVAL_SECONDS
