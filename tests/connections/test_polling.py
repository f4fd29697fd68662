"""Connections over real HTTP to the simulator: the header, two connections side by side under
one user's shared budget, and a revoked token told exactly once, then restored."""

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import FailureEvent
from channels.models import Delivery
from channels import outbox as channel_outbox
from channels.models import Channel, Kind, Delivery
from connections import health, services
from connections.defaults import ensure_default
from connections.models import Connection
from executions import polling
from executions.models import Execution, PollState
from plannr.ratelimit import get_rate_limiter
from executions.watching import watch_executions
from monitors import discovery
from monitors.services import MonitorSpec, create_monitor
from tests.fixtures.simulator import SECOND_TOKEN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def run_dispatch():
    return polling.dispatch(send=lambda rows, token: polling.poll_claimed(rows, token))


def states(connection):
    return {e.poll_state for e in Execution.objects.filter(connection=connection)}


def test_every_request_carries_the_account_header(simulator, admin):
    uuids = simulator.create_many(3)
    watch_executions(admin, uuids)
    polling.run_cycle()
    create_monitor(MonitorSpec(scope="everything", backfill_days=1), creator=admin)
    simulator.create_many(2)
    discovery.sweep()
    stats = simulator.stats
    assert stats.list_requests >= 2
    assert stats.without_account == 0 and stats.forbidden == 0
    assert states(ensure_default()) == {PollState.OK}
    assert Execution.objects.count() == 5  # the monitor found the two new ones through the same header


def test_two_connections_are_polled_side_by_side_under_one_users_shared_budget(simulator, admin, settings):
    acme, _ = services.connect("acme", simulator.token, base_url=simulator.url)
    # The same Plannr user acting for its client account: another connection, the same budget.
    client_side, _ = services.connect("acme-client", simulator.token, base_url=simulator.url,
                                      account=simulator.user.client_account["uuid"])
    beta, _ = services.connect("beta", SECOND_TOKEN, base_url=simulator.url)
    assert acme.budget_key == client_side.budget_key != beta.budget_key
    watch_executions(admin, simulator.create_many(2), connection=acme)
    watch_executions(admin, [e["uuid"] for e in [simulator.second_user.world.create_execution()]], connection=beta)
    # An execution uuid is unique per connection: the same uuid under two connections is two rows.
    shared = simulator.create_many(1)
    watch_executions(admin, shared, connection=client_side)
    watch_executions(admin, shared, connection=acme)
    assert Execution.objects.filter(uuid=shared[0]).count() == 2

    settings.PLANNR_BATCH_SIZE = 1
    settings.PLANNR_RATE_LIMIT_PER_MINUTE = 3 + get_rate_limiter().used(acme.budget_key)
    settings.DISCOVERY_RESERVED_REQUESTS = 0
    sent = run_dispatch()
    by_connection = {}
    for _, ids in sent:
        for e in Execution.objects.filter(pk__in=ids):
            by_connection.setdefault(e.connection.name, []).append(e.pk)
    # acme and acme-client share 3 requests this window; beta has its own budget.
    assert len(by_connection.get("acme", [])) + len(by_connection.get("acme-client", [])) == 3
    assert len(by_connection["beta"]) == 1
    assert states(beta) == {PollState.OK}
    assert simulator.stats.forbidden == 0


def admin_with_channel(admin):
    admin.email = "admin@firm.example"
    admin.save()
    return Channel.objects.create(owner=admin, kind=Kind.SLACK, name="ops", target="https://hooks.slack.invalid/x")


def send_all():
    for pk in Delivery.objects.filter(topic="notice", channel__isnull=True).values_list("pk", flat=True):
        channel_outbox.send(pk)


def test_revoke_tells_the_admins_once_then_restore_once_and_polling_resumes(simulator, admin, owner):
    chat = admin_with_channel(admin)
    uuids = simulator.create_many(3)
    watch_executions(owner, uuids)
    polling.run_cycle()
    simulator.server.tenancy.revoke(simulator.user)
    Execution.objects.update(next_poll_at=timezone.now())
    polling.run_cycle()
    connection = ensure_default()
    assert connection.state() == "broken" and connection.broken_reason.endswith("Unauthenticated.")
    assert states(connection) == {PollState.UNAUTHORIZED}
    # More dispatches, a health check and a test while broken: still one notice per destination.
    for _ in range(3):
        assert run_dispatch() == []
    health.check()
    services.test(connection)
    notices = Delivery.objects.filter(notice__kind="connection", notice__event="broken")
    assert sorted((m.address, m.channel_id) for m in notices) == [("", chat.pk), ("admin@firm.example", None)]
    send_all()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["admin@firm.example"] and "default" in sent.subject and "broken" in sent.subject
    assert "Unauthenticated." in sent.body and "since" in sent.body and simulator.token not in sent.body
    # No per-execution or per-incident alert because of the break.
    assert not Delivery.objects.alert_emails().exists() and not FailureEvent.objects.exists()

    simulator.server.tenancy.restore(simulator.user)
    ok, _ = services.test(connection)
    assert ok and ensure_default().state() == "ok"
    assert Delivery.objects.filter(notice__kind="connection", notice__event="restored").count() == 2
    services.test(connection)
    assert Delivery.objects.filter(notice__kind="connection", notice__event="restored").count() == 2
    send_all()
    assert len(mail.outbox) == 2 and "working again" in mail.outbox[1].subject
    assert sum(len(ids) for _, ids in run_dispatch()) == 3  # everything that waited, at the next dispatch
    assert states(connection) == {PollState.OK}


def test_a_broken_connection_is_reminded_every_reminder_hours(simulator, admin, settings):
    admin_with_channel(admin)
    connection = ensure_default()
    now = timezone.now()
    services.mark_broken(connection.pk, "Unauthenticated.", now)
    assert health.check(now + timezone.timedelta(hours=23))["reminders"] == 0
    assert health.check(now + timezone.timedelta(hours=24))["reminders"] == 1
    assert health.check(now + timezone.timedelta(hours=25))["reminders"] == 0
    assert health.check(now + timezone.timedelta(hours=48))["reminders"] == 1
    assert Delivery.objects.filter(notice__kind="connection", notice__event="reminder").count() == 4  # 2 x (email + chat)


def test_no_success_for_three_intervals_while_due_is_degraded_and_a_success_restores(simulator, admin, settings):
    admin_with_channel(admin)
    watch_executions(admin, simulator.create_many(1))
    polling.run_cycle()
    connection = ensure_default()
    later = connection.last_success + timezone.timedelta(seconds=3 * settings.POLL_INTERVAL_SECONDS + 1)
    Execution.objects.update(next_poll_at=connection.last_success)
    assert health.check(later)["degraded"] == 1
    connection.refresh_from_db()
    assert connection.break_kind == "degraded" and "No successful request" in connection.broken_reason
    # Polling goes on while degraded, and its first success restores the connection.
    assert Connection.objects.pollable().filter(pk=connection.pk).exists()
    services._success_written.clear()
    polling.run_cycle()
    assert ensure_default().broken_since is None
    assert Delivery.objects.filter(notice__kind="connection", notice__event="restored").count() == 2
