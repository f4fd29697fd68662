"""Who is alerted about what a monitor found: its subscribers, minus mutes, besides watchers."""

import pytest

from channels.models import Delivery
from alerts.recipients import executions_of
from executions.models import Execution, Watch
from monitors import discovery
from monitors.models import Subscription
from monitors.subscriptions import subscribe, subscribers_for
from simulator import stories
from tests.monitors import builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

CHASE = stories.BLUEPRINTS[3]


def _failed(simulator):
    return simulator.create_execution(
        status="failed", steps=[{"name": "Send SMS", "status": "failed", "info": "no phone number"}]
    )["uuid"]


def test_subscribers_for_lists_unmuted_active_subscribers_of_the_monitors_that_found_each_execution(
    simulator, owner, other_user, outsider, django_user_model
):
    first = builders.everything(owner)
    second = builders.blueprint(other_user, CHASE.uuid)
    subscribe(first, outsider, muted=True)
    gone = django_user_model.objects.create_user("gone", is_active=False)
    subscribe(first, gone)
    uuid = simulator.create_execution(name=CHASE.name)["uuid"]
    discovery.sweep()
    execution = Execution.objects.get(uuid=uuid)
    unfound = Execution.objects.create(uuid="00000000-0000-4000-8000-000000000001")

    result = subscribers_for([execution.pk, unfound.pk])

    assert result == {execution.pk: {owner.pk, other_user.pk}}
    assert Subscription.objects.filter(monitor=second, user=other_user).exists()  # the creator, by default


def test_a_failure_found_by_a_monitor_alerts_its_subscribers_and_the_watchers_minus_mutes(
    simulator, owner, other_user, outsider, django_user_model
):
    monitor = builders.everything(owner)
    subscribe(monitor, other_user)
    muted_subscriber = django_user_model.objects.create_user("muted")
    subscribe(monitor, muted_subscriber, muted=True)
    uuid = _failed(simulator)
    # A watcher with a muted watch is not told either, even as a subscriber.
    execution = Execution.objects.create(uuid=uuid)
    Watch.objects.create(user=outsider, execution=execution)
    Watch.objects.create(user=other_user, execution=execution, muted=True)
    Execution.objects.filter(pk=execution.pk).update(next_poll_at=None)

    discovery.sweep()

    recipients = set(Delivery.objects.alert_emails().values_list("user__username", flat=True))
    assert recipients == {"owner", "outsider"}
    # Still heard when due (sent, not cancelled as "no longer watched"), until the subscription is muted.
    assert executions_of(owner.pk).filter(id=execution.pk).exists()
    Subscription.objects.filter(user=owner).update(muted=True)
    assert not executions_of(owner.pk).filter(id=execution.pk).exists()

