"""Done-when of issue 19: revoking the token in the simulator gives exactly one alert email
(through a real worker, beat and SMTP server), and restoring it one "restored" email."""

import time

import pytest

from connections import services
from connections.models import Connection
from executions.models import Execution, PollState
from executions.watching import watch_executions
from simulator.control import SimulatorControl
from tests.fixtures.smtp import body, subject
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


def test_revoking_the_token_sends_one_email_and_restoring_one_more(
    simulator, admin, celery_processes, smtp_server, settings
):
    settings.POLL_INTERVAL_SECONDS = 5
    settings.POLL_DISPATCH_SECONDS = 0.5
    admin.email = "admin@firm.example"
    admin.save()
    uuids = simulator.create_many(3)
    celery_processes.worker(extra_env=smtp_server.env)
    celery_processes.beat()
    watch_executions(admin, uuids)
    wait_for(lambda: Execution.objects.filter(poll_state=PollState.OK).count() == 3, timeout=30,
             message="the first polls")

    control = SimulatorControl(simulator.url, simulator.token)
    control.revoke_token()
    revoked_at = time.monotonic()
    [message] = smtp_server.wait_for_count(1, timeout=30)
    took = time.monotonic() - revoked_at
    print(f"revoke -> alert email: {took:.1f} s (poll interval {settings.POLL_INTERVAL_SECONDS} s)")
    assert "Plannr connection default is broken" in subject(message)
    assert "Unauthenticated." in body(message, "plain") and simulator.token not in body(message, "plain")
    # Beat keeps dispatching while it is broken: Plannr is left alone, nobody is told again.
    wait_for(lambda: Execution.objects.filter(poll_state=PollState.UNAUTHORIZED).count() == 3, timeout=30,
             message="the executions to wait for the connection")
    before = simulator.stats.requests

    control.restore_token()
    assert simulator.stats.requests == before  # nothing polled while broken
    assert services.test(Connection.objects.get(name="default"))[0]
    restored = smtp_server.wait_for_count(2, timeout=30)
    assert "working again" in subject(restored[1])
    wait_for(lambda: Execution.objects.filter(poll_state=PollState.OK).count() == 3,
             timeout=3 * settings.POLL_INTERVAL_SECONDS + 30, message="polling to resume")
    assert len(smtp_server.received()) == 2
