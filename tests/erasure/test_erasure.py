"""`manage.py erase --client UUID`: after it, a full database dump holds none of the client's
name, email or phone; counts and incidents are unchanged; running it again changes nothing."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import audit
from channels import outbox
from channels.models import Delivery
from audit.models import AuditEvent
from channels.models import DeliveryAttempt, Kind
from executions import ingest
from executions.models import Execution, Snapshot, Step, Watch
from incidents.models import Incident, Occurrence
from tests.channels.builders import make_channel
from tests.executions.test_ingest import payload, step

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Rhiannon Llewellyn", "rhiannon.llewellyn@example.co.uk", "07700 900461"
OTHER = "Hamish MacLeod"


def _client_execution(owner, account, text):
    execution = Execution.objects.create(uuid=uuid.uuid4())
    Watch.objects.create(user=owner, execution=execution, label=f"call {account['name']} back")
    data = payload(execution.uuid, steps=[step("Send SMS", status="failed", info=json.dumps({"errors": [text]}))])
    data["account"] = account
    # As a poll that found it changed (no claim: nothing else polls it in a test).
    assert ingest.apply_results([execution], {str(execution.uuid): data}, timezone.now(), None)[0] == 1
    return execution


def _dump():
    out = io.StringIO()
    call_command("dumpdata", exclude=["accounts.access"], stdout=out)  # a permissions holder: no table
    text = out.getvalue()
    return text + json.dumps(json.loads(text), ensure_ascii=False)


def _counts():
    return {
        "executions": Execution.objects.count(), "steps": Step.objects.count(),
        "snapshots": Snapshot.objects.count(), "occurrences": Occurrence.objects.count(),
        "incidents": list(Incident.objects.order_by("pk").values_list("pk", "fingerprint", "occurrences", "clients",
                                                                      "status")),
        "step_statuses": list(Step.objects.order_by("pk").values_list("name", "status", "failure_kind")),
    }


@pytest.fixture
def client_data(owner, settings, smtp_server):
    settings.INCIDENT_ALERT_WINDOW_SECONDS = 0
    client_uuid = str(uuid.uuid4())
    account = {"uuid": client_uuid, "name": NAME, "first_name": "Rhiannon", "last_name": "Llewellyn",
               "email": EMAIL, "phone": PHONE}
    ours = [_client_execution(owner, account, f"SMS to {PHONE} for {NAME} ({EMAIL}) was rejected")
            for _ in range(2)]
    _client_execution(owner, {"uuid": str(uuid.uuid4()), "name": OTHER}, f"SMS to {OTHER} was rejected")
    # What older versions wrote before redaction: a delivery log naming the client, an audit row.
    channel = make_channel(owner, Kind.WEBHOOK, "https://hooks.example.com/x")
    DeliveryAttempt.objects.create(channel=channel, at=timezone.now(), notification_kind="incident_opened",
                                   subject=f"New incident: SMS to {PHONE} for {NAME}", idempotency_key="k", ok=True)
    audit.record("watch.label", target="watch:1", after={"label": f"call {NAME} on {PHONE.replace(' ', '')}"})
    for delivery in Delivery.objects.all():
        outbox.send(delivery.pk, now=timezone.now() + timedelta(seconds=1))
    return client_uuid, ours


def test_erasure_leaves_no_trace_of_the_client_and_changes_no_count(client_data):
    client_uuid, ours = client_data
    before = _counts()
    dump = _dump()
    assert NAME in dump and EMAIL in dump and PHONE in dump  # the dump would show them

    out = io.StringIO()
    call_command("erase", "--client", client_uuid, stdout=out)
    printed = out.getvalue()
    assert "executions: 2 overwritten" in printed and "incidents:" in printed and "audit rows: 1" in printed

    dump = _dump()
    for value in (NAME, "Rhiannon", "Llewellyn", EMAIL, PHONE, PHONE.replace(" ", "")):
        assert value not in dump, value
    assert OTHER in dump  # another client's data is untouched
    assert _counts() == before
    [row] = AuditEvent.objects.filter(action="client.erase")
    assert (row.target, row.before, row.after) == (f"client:{client_uuid}", None, None)

    # Idempotent: nothing left to change, and it says so.
    again = io.StringIO()
    call_command("erase", "--client", client_uuid, stdout=again)
    assert again.getvalue().startswith("Nothing to erase")
    assert _counts() == before


def test_erase_refuses_what_is_not_a_uuid_or_an_unknown_connection(db):
    with pytest.raises(CommandError, match="must be a uuid"):
        call_command("erase", "--client", "Rhiannon")
    with pytest.raises(CommandError, match="No connection named"):
        call_command("erase", "--client", str(uuid.uuid4()), "--connection", "nope")


def test_admins_can_erase_from_the_executions_admin(client, admin, client_data):
    client_uuid, ours = client_data
    client.force_login(admin)
    response = client.post("/admin/executions/execution/", {
        "action": "erase_clients", "_selected_action": [str(ours[0].pk)], "index": "0", "select_across": "0",
    }, follow=True)
    told = [str(m) for m in response.context["messages"]]
    assert response.status_code == 200 and any(f"client {client_uuid}" in m for m in told), told
    assert NAME not in _dump()
