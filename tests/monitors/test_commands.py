"""`monitor add`, `monitor list` and `discover`, as named in the issue."""

import io
import time
import uuid as uuid_lib

import pytest
from django.core.management import CommandError, call_command

from monitors.models import Monitor, Scope, Subscription
from simulator import stories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_monitor_add_every_scope_and_list(simulator, owner):
    client_a, client_b = str(uuid_lib.uuid4()), str(uuid_lib.uuid4())
    assert "added" in run("monitor", "add", "--user", "owner", "--all")
    run("monitor", "add", "--user", "owner", "--blueprint", stories.BLUEPRINTS[2].uuid, "--name", "ID docs")
    out = run("monitor", "add", "--user", "owner", "--client", client_a, "--client", client_b, "--backfill-days", "7")
    assert "backfilling 7 day(s)" in out

    everything, blueprint, clients = Monitor.objects.order_by("pk")
    assert everything.scope == Scope.EVERYTHING and everything.backfill_days is None
    assert blueprint.name == "ID docs" and blueprint.blueprint_name == stories.BLUEPRINTS[2].name
    assert clients.client_uuids == [client_a, client_b] and clients.backfill_days == 7
    assert Subscription.objects.filter(user=owner, muted=False).count() == 3

    listing = run("monitor", "list")
    assert "ID docs" in listing and "2 clients" in listing and "last sweep never" in listing


def test_monitor_add_refuses_bad_input_with_a_clear_message(simulator, owner):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("monitor", "add", "--user", "nobody", "--all")
    with pytest.raises(CommandError, match="Plannr has no blueprint"):
        run("monitor", "add", "--user", "owner", "--blueprint", str(uuid_lib.uuid4()))
    with pytest.raises(CommandError, match="Not a valid client UUID: nope"):
        run("monitor", "add", "--user", "owner", "--client", "nope")
    with pytest.raises(CommandError):
        run("monitor", "add", "--user", "owner", "--all", "--client", str(uuid_lib.uuid4()))
    assert not Monitor.objects.exists()


def test_discover_sweeps_once_and_says_what_it_found_and_what_it_cost(simulator, owner):
    assert "no active monitors" in run("discover")
    run("monitor", "add", "--user", "owner", "--all", "--name", "All of it", "--backfill-days", "1")
    made = [simulator.create_execution(created_at=time.time() - 60)["uuid"] for _ in range(2)]

    out = run("discover")

    assert "everything: 1 request(s), 1 page(s), complete [All of it]" in out
    assert all(u in out for u in made)
    assert "found 2 new execution(s) with 1 request(s)" in out
    assert "found 0 new execution(s) with 1 request(s)" in run("discover")
