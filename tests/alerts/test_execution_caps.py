"""Each channel kind lists its own number of affected executions, and says truthfully when it cut.

The bug this guards: a webhook listed at most 20 executions (email's cap applied first) and
said `executions_truncated: false`, although CHANNEL_WEBHOOK_MAX_EXECUTIONS (50) is documented.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from accounts import roles
from channels import outbox
from channels import services as channel_services
from channels.models import Delivery, Kind
from channels.senders import EMAIL_EXECUTIONS
from tests.fixtures.smtp import body

from .test_incident_alerts import fail, window  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

FAILURES = 30


def burst(owner, webhook_receiver, smtp_server):
    """FAILURES executions fail alike within the fold window; everything due is sent once."""
    roles.assign_role(owner, roles.OPERATOR)
    hook, secret = channel_services.create_channel(owner, Kind.WEBHOOK, "hook", webhook_receiver.url("/hook"))
    t0 = timezone.now()
    for i in range(FAILURES):
        fail(owner, t0 + timedelta(milliseconds=100 * i), client=f"Client {i}")
    due = t0 + timedelta(seconds=31)
    states = [outbox.send(pk, now=due) for pk in Delivery.objects.values_list("pk", flat=True)]
    assert states == ["sent", "sent"]  # one email, one webhook
    [request] = webhook_receiver.requests("/hook")
    return Webhook(secret).verify(request.body, request.headers)["incident"], smtp_server.wait_for_count(1)


def test_a_webhook_lists_every_execution_up_to_its_own_cap_not_emails(owner, webhook_receiver, smtp_server,
                                                                       window, settings):  # noqa: F811
    settings.CHANNEL_WEBHOOK_MAX_EXECUTIONS = 50
    incident, [mail] = burst(owner, webhook_receiver, smtp_server)
    assert len(incident["executions"]) == FAILURES > EMAIL_EXECUTIONS
    assert incident["executions_total"] == FAILURES and incident["executions_truncated"] is False
    # The email keeps its own cap of 20 and says how many more there are.
    assert f"and {FAILURES - EMAIL_EXECUTIONS} more" in body(mail, "plain")


def test_a_webhook_over_its_cap_says_it_was_truncated(owner, webhook_receiver, smtp_server,
                                                       window, settings):  # noqa: F811
    settings.CHANNEL_WEBHOOK_MAX_EXECUTIONS = 25
    incident, _ = burst(owner, webhook_receiver, smtp_server)
    assert len(incident["executions"]) == 25
    assert incident["executions_total"] == FAILURES and incident["executions_truncated"] is True
