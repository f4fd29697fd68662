"""Issue 20, point 30: Redis goes away while a worker holds unacknowledged messages.

Real processes: a redis-server of the test's own (stopped and started again), a
prefork Celery worker and beat on it, the simulator and an SMTP server. Before
the fix the worker logged "Restoring N unacknowledged message(s)", then
`Unrecoverable error: AttributeError(... 'hostname')`, and exited: nothing polled
or sent after the outage.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import Delivery, DeliveryState
from channels.tasks import send_delivery
from dashboard.celery import app as celery_app
from tests.builders import failed_step, ingest_signal, make_execution, watch
from tests.executions.polling_helpers import watch_all
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HELD = 3


def test_polling_and_sending_resume_after_redis_comes_back(
    redis_server, celery_processes, smtp_server, simulator, owner, settings
):
    settings.POLL_INTERVAL_SECONDS = 1
    settings.POLL_DISPATCH_SECONDS = 0.5
    env = {**smtp_server.env, "REDIS_URL": redis_server.url, "CELERY_BROKER_URL": redis_server.url,
           "ALERT_SWEEP_SECONDS": "1"}
    worker = celery_processes.worker(extra_env=env, wait=False)
    celery_processes.beat(extra_env=env)
    wait_for(lambda: " ready." in worker.output(), timeout=60, message="the worker to be ready")

    watch_all(owner, simulator.create_many(3))
    wait_for(lambda: simulator.stats.list_requests >= 2, timeout=30, message="polling to start")

    # Deliveries waiting out a fold window: the worker holds their messages, unacknowledged.
    execution = make_execution()
    for n in range(HELD):
        failed_step(execution, name=f"Step {n}")
    watch(owner, execution)
    ingest_signal(execution)
    Delivery.objects.alert_emails().update(next_attempt_at=timezone.now() + timedelta(days=1))  # not yet due
    ids = list(Delivery.objects.alert_emails().values_list("pk", flat=True))
    assert len(ids) == HELD
    with celery_app.connection_for_write(redis_server.url) as connection:
        for pk in ids:
            send_delivery.apply_async((pk,), countdown=600, connection=connection)
    broker = redis_server.client()
    wait_for(lambda: broker.hlen("unacked") >= HELD, timeout=30, message="the worker to hold the messages")

    redis_server.stop()
    # HELD or more: a poll batch may be held too.
    wait_for(lambda: re.search(r"Restoring \d+ unacknowledged message", worker.output()), timeout=30,
             message="the worker to try to restore what it held")
    redis_server.start()
    polls_before = simulator.stats.list_requests

    wait_for(lambda: simulator.stats.list_requests >= polls_before + 3, timeout=60,
             message=f"polling to resume\n{worker.output()[-3000:]}")
    Delivery.objects.alert_emails().update(next_attempt_at=timezone.now())  # the fold window ends
    wait_for(lambda: set(Delivery.objects.alert_emails().values_list("state", flat=True)) == {DeliveryState.SENT}, timeout=60,
             message="the deliveries to be sent")
    assert len(smtp_server.received()) >= 1
    assert worker.popen.poll() is None, "the worker exited"
    assert "Unrecoverable error" not in worker.output()
