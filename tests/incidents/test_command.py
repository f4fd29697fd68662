"""`manage.py incidents`: the JSON contract, the status filter, resolve and ack."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Incident, Status

from .test_grouping import failing

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("incidents", *args, stdout=out)
    return out.getvalue()


def test_json_lists_every_incident_with_the_contracted_fields():
    failing()
    failing(client="Another")
    failing(step="Send email")
    listed = json.loads(run("--json"))
    assert len(listed) == 2
    sms = next(i for i in listed if i["title"].startswith("Send SMS"))
    assert {"id", "title", "blueprint", "status", "regression", "occurrences", "clients", "first_seen", "last_seen"} <= set(sms)
    assert (sms["status"], sms["regression"], sms["occurrences"], sms["clients"]) == ("open", False, 2, 2)
    assert sms["blueprint"] == "Welcome pack"
    assert sms["family"] == "failed"


def test_resolve_and_ack_change_the_state_and_a_regression_shows():
    failing()
    incident = Incident.objects.get()
    assert "is resolved" in run("resolve", str(incident.pk))
    assert json.loads(run("--json", "--status", "open")) == []
    failing(client="Again")
    [listed] = json.loads(run("--json", "--status", "open"))
    assert listed["regression"] is True
    run("ack", str(incident.pk))
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED
    assert incident.history.first().by is None
    assert "[acknowledged" in run()


def test_an_unknown_incident_is_a_clear_error():
    with pytest.raises(CommandError, match="No incident #999"):
        run("resolve", "999")
    with pytest.raises(CommandError, match="Which incident"):
        run("ack")
