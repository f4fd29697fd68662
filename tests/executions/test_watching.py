"""Adding and removing watches: scheduling, and what a broker outage does to them."""

import uuid

import pytest
from kombu.exceptions import OperationalError

from executions import tasks
from executions.models import Execution, Watch
from executions.watching import unwatch, watch_executions

pytestmark = pytest.mark.django_db(transaction=True)


def test_watches_survive_a_broker_outage_and_stay_due(owner, monkeypatch, caplog):
    # The broker refusing the enqueue is what kombu raises when Redis is down.
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.poll_now, "delay", broker_down)
    wanted = [uuid.uuid4(), uuid.uuid4()]
    result = watch_executions(owner, wanted, label="welcome packs")
    assert len(result.created) == 2
    assert Watch.objects.filter(user=owner).count() == 2
    # Still due, so the dispatcher polls them as soon as the broker is back.
    assert all(e.next_poll_at is not None for e in Execution.objects.all())
    assert "Connection refused" in caplog.text


def test_last_unwatch_stops_polling_but_another_watcher_keeps_it(owner, other_user, monkeypatch):
    monkeypatch.setattr(tasks.poll_now, "delay", lambda ids: None)
    execution_uuid = uuid.uuid4()
    watch_executions(owner, [execution_uuid])
    watch_executions(other_user, [execution_uuid])
    unwatch(Watch.objects.get(user=owner))
    assert Execution.objects.get().next_poll_at is not None
    unwatch(Watch.objects.get(user=other_user))
    assert Execution.objects.get().next_poll_at is None

    # Watching it again resumes polling.
    watch_executions(owner, [execution_uuid])
    assert Execution.objects.get().next_poll_at is not None
