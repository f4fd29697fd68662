"""Alert delivery through real Celery workers on Redis and a real SMTP server.

Workers are subprocesses sharing only the database, Redis and the SMTP port with
the test. Time-outs are not waited for: where the claim timeout matters, the
claim is moved back in time by exactly that much.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import F

from channels import tasks
from channels.models import Delivery, DeliveryState
from channels.tasks import sweep_deliveries
from incidents.models import Incident
from tests.fixtures.smtp import header, subject
from tests.waiting import wait_for

from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST_RETRIES = {"ALERT_RETRY_BASE_SECONDS": "1", "ALERT_RETRY_MAX_SECONDS": "2", "ALERT_MAX_ATTEMPTS": "20"}


def worker_env(smtp_server, **extra):
    return {**smtp_server.env, **FAST_RETRIES, **extra}


def states():
    return sorted(Delivery.objects.alert_emails().values_list("state", flat=True))


def all_sent(count):
    return lambda: states() == [DeliveryState.SENT] * count


def failures_for(users, muted=()):
    execution = make_execution(name="Onboarding", client="Ada Lovelace")
    failed_step(execution, name="Send welcome email", status="failed")
    for user in users:
        watch(user, execution)
    for user in muted:
        watch(user, execution, muted=True)
    ingest_signal(execution)  # commits: the deliveries are queued on commit
    return execution


def many_deliveries(user, count):
    execution = make_execution()
    watch(user, execution)
    for i in range(count):
        failed_step(execution, name=f"Step {i}", status="failed")
    ingest_signal(execution)
    return list(Delivery.objects.alert_emails().values_list("pk", flat=True))


def test_each_watcher_with_alerts_on_gets_exactly_one_email(
    celery_processes, smtp_server, owner, other_user, outsider
):
    celery_processes.worker(extra_env=worker_env(smtp_server))
    failures_for([owner, other_user], muted=[outsider])
    wait_for(all_sent(2), timeout=30, message="both deliveries sent")
    received = smtp_server.received()
    assert sorted(e["to"][0] for e in smtp_server.envelopes()) == ["other@example.com", "owner@example.com"]
    incident = Incident.objects.get()
    [line] = {subject(m) for m in received}
    assert line.startswith(f"[Plannr] New incident #{incident.pk}: Send welcome email — the account_uuid")
    assert line.endswith(" (1 execution)")
    assert Delivery.objects.alert_emails().filter(user=outsider).count() == 0


def test_an_smtp_outage_is_retried_and_each_delivery_sent_once_when_it_is_back(
    celery_processes, smtp_server, owner
):
    smtp_server.stop()
    celery_processes.worker(extra_env=worker_env(smtp_server))
    many_deliveries(owner, 5)
    wait_for(
        lambda: all(d.attempts >= 2 for d in Delivery.objects.alert_emails().all()),
        timeout=60,
        message="every delivery to have been tried twice while SMTP is down",
    )
    assert set(states()) <= {DeliveryState.RETRYING, DeliveryState.SENDING}
    # Every one of them says why (a claim for the next try keeps the last error).
    errors = list(Delivery.objects.alert_emails().values_list("last_error", flat=True))
    assert len(errors) == 5
    assert all("Could not reach the mail server" in error for error in errors), errors

    smtp_server.start()
    wait_for(all_sent(5), timeout=60, message="all deliveries sent after the outage")
    received = smtp_server.received()
    assert len(received) == 5
    assert len({header(m, "Message-ID") for m in received}) == 5
    assert sorted(subject(m).split(": ", 1)[0] for m in received) == sorted(
        f"[Plannr] New incident #{incident.pk}" for incident in Incident.objects.all()
    )
    assert Incident.objects.count() == 5


def test_two_workers_racing_and_tasks_run_many_times_still_send_one_email_each(
    celery_processes, smtp_server, owner, redis_client
):
    env = worker_env(smtp_server)
    celery_processes.worker(name="left", concurrency=4, extra_env=env)
    celery_processes.worker(name="right", concurrency=4, extra_env=env)
    ids = many_deliveries(owner, 12)
    for _ in range(4):  # every delivery's task queued four more times
        tasks.enqueue_deliveries(ids)
    wait_for(all_sent(12), timeout=60, message="all deliveries sent")
    wait_for(lambda: redis_client.llen("deliveries") == 0, timeout=60, message="the queue to drain")
    assert len(smtp_server.received()) == 12
    assert len({header(m, "Message-ID") for m in smtp_server.received()}) == 12
    assert set(Delivery.objects.alert_emails().values_list("attempts", flat=True)) == {1}


def _kill_mid_send(celery_processes, smtp_server, owner, stage):
    """A worker claims the delivery and dies while talking to SMTP; returns the delivery."""
    smtp_server.hold(stage)
    doomed = celery_processes.worker(name="doomed", concurrency=1, extra_env=worker_env(smtp_server))
    failures_for([owner])
    wait_for(smtp_server.holding.is_set, timeout=30, message="the worker to be mid-conversation")
    delivery = Delivery.objects.alert_emails().get()
    assert delivery.state == DeliveryState.SENDING and delivery.attempts == 1
    doomed.kill()
    smtp_server.release()
    # ALERT_CLAIM_TIMEOUT_SECONDS pass.
    Delivery.objects.alert_emails().filter(pk=delivery.pk).update(
        claimed_at=F("claimed_at") - timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT_SECONDS + 1)
    )
    return delivery


def test_a_delivery_whose_worker_died_before_sending_is_sent_by_the_sweeper(
    celery_processes, smtp_server, owner
):
    delivery = _kill_mid_send(celery_processes, smtp_server, owner, "before")
    assert smtp_server.received() == []
    celery_processes.worker(name="rescuer", extra_env=worker_env(smtp_server))
    sweep_deliveries.delay()  # what beat runs every ALERT_SWEEP_SECONDS
    wait_for(all_sent(1), timeout=30, message="the sweeper to get it sent")
    assert len(smtp_server.received()) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_worker_dying_after_smtp_accepted_gives_a_second_copy_with_the_same_message_id(
    celery_processes, smtp_server, owner
):
    """The documented at-least-once window (docs/alerts.md): never a loss, rarely a duplicate."""
    delivery = _kill_mid_send(celery_processes, smtp_server, owner, "after")
    assert len(smtp_server.received()) == 1  # accepted, but the worker never recorded it
    celery_processes.worker(name="rescuer", extra_env=worker_env(smtp_server))
    sweep_deliveries.delay()
    wait_for(all_sent(1), timeout=30, message="the sweeper to resend it")
    first, second = smtp_server.wait_for_count(2)
    assert header(first, "Message-ID") == header(second, "Message-ID")
    assert header(first, "Message-ID") == f"<alert.{delivery.message_uuid}@testserver>"


def test_a_delivery_whose_queue_message_was_lost_is_sent_by_the_sweeper(
    celery_processes, smtp_server, owner, redis_client
):
    failures_for([owner])
    redis_client.flushdb()  # the broker lost the message
    Delivery.objects.alert_emails().update(
        next_attempt_at=F("next_attempt_at") - timedelta(seconds=settings.ALERT_SWEEP_SECONDS)
    )
    celery_processes.worker(extra_env=worker_env(smtp_server))
    sweep_deliveries.delay()
    wait_for(all_sent(1), timeout=30, message="the sweeper to send it")
    # Sent once, on its first attempt: the lost message was never tried.
    (message,) = smtp_server.received()
    assert [e["to"] for e in smtp_server.envelopes()] == [["owner@example.com"]]
    assert Delivery.objects.alert_emails().get().attempts == 1
