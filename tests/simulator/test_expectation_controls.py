"""The simulator's controls for expectations: stop one blueprint's arrivals, hang an execution."""

import pytest

from simulator import stories
from simulator.control import SimulatorControl, SimulatorControlError
from simulator.server import SimulatorServer
from simulator.world import World

REVIEW = stories.BLUEPRINTS_BY_NAME["Annual review reminder"]


def test_a_stopped_blueprint_gets_no_new_executions_and_the_others_keep_their_stream():
    clock = [1_000_000.0]
    world = World(seed=3, executions=0, clock=lambda: clock[0], new_per_minute=60)
    stopped = World(seed=3, executions=0, clock=lambda: clock[0], new_per_minute=60)
    stopped.set_blueprint_stopped(REVIEW.uuid, True)
    clock[0] += 3600
    names = [e["name"] for e in (world.get(u) for u in world.uuids())]
    left = [e["name"] for e in (stopped.get(u) for u in stopped.uuids())]
    assert names.count(REVIEW.name) > 10 and REVIEW.name not in left
    assert sorted(left) == sorted(n for n in names if n != REVIEW.name)
    stopped.set_blueprint_stopped(REVIEW.uuid, False)
    clock[0] += 3600
    assert any(stopped.get(u)["name"] == REVIEW.name for u in stopped.uuids())


def test_control_endpoints_over_http_stop_a_blueprint_and_hang_an_execution():
    world = World(seed=3, executions=0)
    with SimulatorServer(world, tokens=("t",)) as server:
        control = SimulatorControl(server.url, "t")
        assert control.stop_blueprint(REVIEW.uuid) == {"uuid": REVIEW.uuid, "name": REVIEW.name, "stopped": True}
        assert {b["uuid"]: b["stopped"] for b in control.blueprints()}[REVIEW.uuid] is True
        with pytest.raises(SimulatorControlError, match="404"):
            control.stop_blueprint("00000000-0000-0000-0000-000000000000")
        created = control.create_execution(name=REVIEW.name, status="completed",
                                           steps=[{"name": "Create task"}, {"name": "Send email"}])
        hung = control.hang(created["uuid"], step=1)
        assert (hung["status"], len(hung["steps"]), hung["next_step"]["status"]) == ("in_progress", 1, "pending")
        assert control.drive(created["uuid"])["status"] == "in_progress"
        with pytest.raises(SimulatorControlError, match="400"):
            control.hang(created["uuid"], step=9)


def test_the_documented_command_stops_and_restarts_the_demo_blueprint(simulator):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("simulator_blueprint", "stop", "Annual review reminder", stdout=out)
    assert out.getvalue() == f"Annual review reminder ({REVIEW.uuid}) stopped: no new executions.\n"
    assert REVIEW.uuid in simulator.world.stopped_blueprints
    call_command("simulator_blueprint", "start", REVIEW.uuid, stdout=StringIO())
    assert REVIEW.uuid not in simulator.world.stopped_blueprints
    with pytest.raises(CommandError, match="no blueprint 'Nope'"):
        call_command("simulator_blueprint", "stop", "Nope")
