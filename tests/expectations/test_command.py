"""`manage.py expect add|list|check`: the contract of issue 22, and bad input refused clearly."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from expectations.models import Expectation
from tests.builders import make_connection, make_execution
from tests.expectations.builders import BLUEPRINT, BLUEPRINT_UUID, blueprint_monitor
from tests.incidents.test_command import run as incidents

pytestmark = pytest.mark.django_db


def expect(*args):
    out = StringIO()
    call_command("expect", *args, stdout=out)
    return out.getvalue()


def test_add_list_and_check_follow_the_contract():
    blueprint_monitor(start_at=timezone.now() - timedelta(hours=5))
    make_execution(name=BLUEPRINT, remote_created_at=timezone.now() - timedelta(hours=4))
    out = expect("add", "--blueprint", BLUEPRINT_UUID, "--at-least", "5", "--within", "60", "--name", "Reviews")
    volume_id = int(out.strip().removeprefix("expectation "))
    assert out == f"expectation {volume_id}\n"
    deadline_id = int(expect("add", "--blueprint", BLUEPRINT_UUID, "--finish-within", "30",
                             "--hours", "mon-fri 08:00-18:00", "--tz", "Europe/Paris").split()[1])
    listed = {e["id"]: e for e in json.loads(expect("list", "--json"))}
    assert listed[volume_id] == {
        "id": volume_id, "name": "Reviews", "blueprint": {"uuid": BLUEPRINT_UUID, "name": BLUEPRINT},
        "connection": "default", "kind": "volume", "rule": "at least 5 per hour", "state": "pending", "last_checked": None,
    }
    assert listed[deadline_id]["rule"] == "every execution finishes within 30 min"
    checked = expect("check")
    assert f"BREACH #{volume_id} {BLUEPRINT}: 0 executions since" in checked
    assert json.loads(expect("list", "--json"))[0]["state"] == "breached"
    [incident] = json.loads(incidents("--json"))
    assert incident["family"] == "missing"


def test_add_takes_the_blueprint_within_a_named_connection_and_refuses_an_unknown_one():
    other = make_connection("second")
    blueprint_monitor(connection=other)
    added = int(expect("add", "--blueprint", BLUEPRINT_UUID, "--finish-within", "30", "--connection", "second").split()[1])
    expectation = Expectation.objects.get(pk=added)
    # The name came from the second connection's monitor: Plannr was not asked.
    assert expectation.connection == other and expectation.blueprint_name == BLUEPRINT
    assert json.loads(expect("list", "--json"))[0]["connection"] == "second"
    with pytest.raises(CommandError, match="no connection named 'third' \\(connections: "):
        expect("add", "--blueprint", BLUEPRINT_UUID, "--finish-within", "30", "--connection", "third")
    assert Expectation.objects.count() == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--at-least", "5"], "--within must be a whole number of minutes"),
        (["--at-least", "5", "--within", "60", "--finish-within", "9"], "not both"),
        (["--within", "60", "--at-least", "0"], "--at-least must be 1 or more"),
        (["--finish-within", "30", "--hours", "weekdays 8-6"], "Business hours 'weekdays 8-6' not understood"),
        (["--finish-within", "30", "--hours", "mon-fri 18:00-08:00"], "must end after they start"),
        (["--finish-within", "30", "--tz", "Mars/Olympus"], "Unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(args, message):
    blueprint_monitor()
    with pytest.raises(CommandError, match=message):
        expect("add", "--blueprint", BLUEPRINT_UUID, *args)
    assert not Expectation.objects.exists()


def test_a_blueprint_uuid_that_is_not_one_is_refused():
    with pytest.raises(CommandError, match="Not a valid blueprint UUID: nope"):
        expect("add", "--blueprint", "nope", "--finish-within", "5")


def test_the_demo_defines_one_volume_expectation_and_one_deadline_on_the_simulator(simulator):
    for _ in range(2):  # idempotent
        call_command("demo_setup", count=0, stdout=StringIO())
    listed = json.loads(expect("list", "--json"))
    assert sorted((e["kind"], e["rule"]) for e in listed) == [
        ("deadline", "every execution finishes within 10 min"), ("volume", "at least 1 per 10 min"),
    ]
    assert {e["blueprint"]["name"] for e in listed} == {"Annual review reminder"}
