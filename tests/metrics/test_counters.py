"""The counters move when real things happen against the simulator: a poll cycle, a 429, an alert."""

import pytest
from django.utils import timezone

from channels import outbox
from channels.models import Delivery
from executions import polling
from executions.models import Execution
from executions.watching import watch_executions
from metrics import exposition
from tests.metrics.conftest import scrape

pytestmark = pytest.mark.django_db

LIST = "/api/v1/automation-executions"


def requests(values, status):
    return values.get(
        ("plannr_monitor_plannr_requests_total", (("endpoint", LIST), ("status", str(status)))), 0
    )


def poll_everything():
    Execution.objects.update(next_poll_at=timezone.now(), final_confirmed=False)
    polling.run_cycle()
    exposition.refresh()


def test_a_poll_cycle_a_429_and_an_alert_move_the_counters(
    client, simulator, smtp_server, metrics_token, owner
):
    payload = simulator.create_execution(
        name="Send client welcome pack",
        steps=[{"name": "Send SMS", "status": "failed", "info": "the account_uuid field is required"}],
        status="failed",
    )
    watch_executions(owner, [payload["uuid"]])
    exposition.refresh()
    before = scrape(client)
    assert requests(before, 200) == 0

    poll_everything()
    after_poll = scrape(client)
    assert requests(after_poll, 200) == 1
    assert after_poll[("plannr_monitor_executions", (("status", "failed"),))] == 1
    assert after_poll[("plannr_monitor_executions_failing", ())] == 1
    assert (
        after_poll[("plannr_monitor_last_poll_timestamp_seconds", ())]
        > before[("plannr_monitor_last_poll_timestamp_seconds", ())]
    )
    assert after_poll[("plannr_monitor_plannr_rate_budget_used", ())] >= 1
    assert ("plannr_monitor_plannr_ratelimit_remaining", ()) in after_poll

    simulator.fail_next("429", retry_after=1)
    poll_everything()
    after_429 = scrape(client)
    assert requests(after_429, 429) == 1
    assert after_429[("plannr_monitor_executions_by_poll_state", (("poll_state", "rate_limited"),))] == 1

    pending = (("channel", "email"), ("state", "pending"))
    sent = (("channel", "email"), ("state", "sent"))
    assert after_429[("plannr_monitor_alert_deliveries", pending)] >= 1
    for delivery in Delivery.objects.alert_emails().filter(user=owner):
        outbox.send(delivery.pk)
    smtp_server.wait_for_count(1)
    exposition.refresh()
    after_alert = scrape(client)
    assert after_alert[("plannr_monitor_alert_deliveries", sent)] == Delivery.objects.alert_emails().count() >= 1
    assert after_alert[("plannr_monitor_alert_deliveries", pending)] == 0
