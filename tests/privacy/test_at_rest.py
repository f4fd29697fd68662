"""REDACT_AT_REST: what ingest stores is redacted, and incidents group exactly as without it."""

import json
import uuid

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings

from executions import ingest
from executions.models import Execution, Snapshot, Step
from incidents.models import Occurrence
from incidents.normaliser import message_key
from privacy.redaction import redact_at_rest
from tests.executions.test_ingest import payload, step

from . import strategies

pytestmark = pytest.mark.django_db
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _ingest(settings, text, redact, account):
    settings.REDACT_AT_REST = redact
    execution = Execution.objects.create(uuid=uuid.uuid4())
    data = payload(execution.uuid, steps=[step("Send SMS", status="failed", info=json.dumps({"errors": [text]}))])
    data["account"] = account
    # As a poll that found it changed (no claim: nothing else polls it in a test).
    assert ingest.apply_results([execution], {str(execution.uuid): data}, timezone.now(), None)[0] == 1
    return execution


@hsettings(max_examples=12, deadline=None, suppress_health_check=HEALTH)
@given(case=strategies.personal_texts())
def test_one_failure_stored_whole_and_stored_redacted_lands_in_the_same_incident(settings, case):
    text, values = case
    account = {"uuid": str(uuid.uuid4()), "name": "Gareth Thompson", "first_name": "Gareth",
               "email": "gareth.thompson@example.co.uk", "phone": "07700 900123"}
    whole = _ingest(settings, text, False, account)
    redacted = _ingest(settings, text, True, account)

    [a] = Occurrence.objects.filter(execution=whole)
    [b] = Occurrence.objects.filter(execution=redacted)
    assert a.incident_id == b.incident_id  # the same fingerprint either way
    info = Step.objects.get(execution=redacted).info
    assert message_key(info) == message_key(Step.objects.get(execution=whole).info)
    stored = json.dumps([
        info, Step.objects.get(execution=redacted).messages, b.raw_info, b.messages, b.client_name,
        Snapshot.objects.get(execution=redacted).payload, Snapshot.objects.get(execution=redacted).raw_payload,
        Execution.objects.get(pk=redacted.pk).account_name, Execution.objects.get(pk=redacted.pk).next_step,
    ], ensure_ascii=False)
    for value in [*values, "Gareth Thompson", "gareth.thompson@example.co.uk", "07700 900123"]:
        assert value not in stored
    assert Execution.objects.get(pk=redacted.pk).account_name == "G. T."
    # Without the setting, everything is kept as Plannr sent it.
    assert values[0] in Step.objects.get(execution=whole).info


def test_redaction_at_rest_keeps_the_blueprint_and_step_names_the_fingerprint_uses():
    data = payload(uuid.uuid4(), steps=[step("Call 07700 900123", status="failed", info="x@y.com")],
                   name="Pack for SW1A 1AA")
    redacted = redact_at_rest(data)
    assert redacted["name"] == data["name"] and redacted["steps"][0]["name"] == "Call 07700 900123"
    assert redacted["steps"][0]["info"] == "[email]" and redacted["account"]["first_name"] == "G."
