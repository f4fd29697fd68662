"""The seeded world: determinism, stories that advance with the clock, realistic info."""

import json
import time
from collections import Counter

import pytest
import requests

from simulator.server import SimulatorServer
from simulator.stories import DOCS_INFO_ERROR
from simulator.world import World
from tests.simulator.helpers import EXECUTIONS

T0 = 1_780_931_283.0
DAY = 86400


class FakeClock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def snapshot(world):
    return {u: world.get(u) for u in world.uuids()}


def test_same_seed_same_world_and_another_seed_another():
    first = snapshot(World(seed=7, executions=40, clock=FakeClock()))
    again = snapshot(World(seed=7, executions=40, clock=FakeClock()))
    other = snapshot(World(seed=8, executions=40, clock=FakeClock()))
    assert first == again
    assert len(first) == 40
    assert not set(first) & set(other)
    assert [e["name"] for e in first.values()] != [e["name"] for e in other.values()]


def test_created_executions_do_not_disturb_the_seeded_ones():
    world = World(seed=7, executions=10, clock=FakeClock())
    world.create_many(5)
    assert snapshot(World(seed=7, executions=10, clock=FakeClock())).items() <= snapshot(world).items()


def test_generated_executions_advance_with_the_clock_to_a_final_state():
    clock = FakeClock()
    world = World(seed=3, executions=60, clock=clock)
    start = snapshot(world)
    running = [u for u, e in start.items() if e["status"] == "in_progress" and e["steps"]]
    assert running, "some executions must be mid-flight when the world is created"
    clock.now += 10 * DAY
    later = snapshot(world)
    finished = [u for u in running if later[u]["status"] in ("completed", "failed")]
    assert finished
    for u in finished:
        before, after = start[u], later[u]
        assert len(after["steps"]) > len(before["steps"])
        assert after["steps"][: len(before["steps"])] == before["steps"]  # history is kept
        assert after["next_step"] is None and after["previous_step"] == after["steps"][-1]
        assert after["updated_at"] >= before["updated_at"]
    for e in later.values():
        if e["status"] == "in_progress":  # stuck forever: something is always set to run next
            assert e["next_step"] is not None and e["next_step"]["executed_at"] is None
        else:
            assert e["next_step"] is None


def test_the_next_step_becomes_the_previous_step_when_it_runs():
    clock = FakeClock()
    world = World(seed=3, executions=60, clock=clock)
    waiting = next(
        e for e in snapshot(world).values() if e["status"] == "in_progress" and e["next_step"] and e["steps"]
    )
    for _ in range(200):
        clock.now += 1
        now = world.get(waiting["uuid"])
        if len(now["steps"]) > len(waiting["steps"]):
            break
    assert now["previous_step"]["uuid"] == waiting["next_step"]["uuid"]
    assert now["previous_step"]["name"] == waiting["next_step"]["name"]


def test_served_payload_follows_the_clock_over_http():
    clock = FakeClock()
    world = World(seed=3, executions=60, clock=clock)
    running = [u for u, e in snapshot(world).items() if e["status"] == "in_progress" and e["steps"]]
    execution_uuid = running[0]
    with SimulatorServer(world, tokens=("t",)) as server:

        def fetch():
            url = f"{server.url}{EXECUTIONS}/{execution_uuid}"
            headers = {"Authorization": "Bearer t", "X-PLANNR-ACCOUNT-UUID": server.user.account_uuid}
            return requests.get(url, headers=headers, timeout=5).json()

        before = fetch()
        clock.now += 10 * DAY
        after = fetch()
    assert before["status"] == "in_progress"
    assert after != before and len(after["steps"]) >= len(before["steps"])


def test_outcome_shares_and_hidden_errors_look_like_the_brief():
    clock = FakeClock()
    world = World(seed=11, executions=2000, clock=clock)
    clock.now += 30 * DAY
    executions = list(snapshot(world).values())
    statuses = Counter(e["status"] for e in executions)
    assert 0.68 <= statuses["completed"] / 2000 <= 0.82  # completes, with or without a hidden error
    assert 0.08 <= statuses["failed"] / 2000 <= 0.16
    assert 0.09 <= statuses["in_progress"] / 2000 <= 0.17
    hidden = [
        e for e in executions if e["status"] == "completed" and any(_is_error(s["info"]) for s in e["steps"])
    ]
    assert 0.06 <= len(hidden) / 2000 <= 0.14
    for e in executions:
        if e["status"] == "failed":
            assert e["steps"][-1]["status"] == "failed" and e["steps"][-1]["info"]
            assert all(s["status"] == "completed" for s in e["steps"][:-1])


def _is_error(info):
    return bool(info) and info not in {
        "SMS queued", "Email queued for delivery", "Document generated: welcome-pack.pdf",
        "Task created", "Client record updated", "Adviser notified",
    }


def test_info_errors_come_in_every_documented_shape():
    clock = FakeClock()
    world = World(seed=11, executions=1500, clock=clock)
    clock.now += 30 * DAY
    infos = {s["info"] for e in snapshot(world).values() for s in e["steps"] if _is_error(s["info"])}
    assert DOCS_INFO_ERROR in infos
    assert json.loads(json.dumps(DOCS_INFO_ERROR)) == '"[{errors : "the account_uuid field is required" }]"'
    decoded = [json.loads(i) for i in infos if i.startswith(("{", "["))]
    assert any(isinstance(d, dict) and "errors" in d and "message" in d for d in decoded)  # Laravel
    assert any(isinstance(d, list) and d and "errors" in d[0] for d in decoded)
    assert "Mailbox unavailable: 550 5.1.1 user unknown" in infos
    assert any("<" in i and not i.startswith(("{", "[", '"')) for i in infos)  # HTML to escape


def test_the_docs_example_and_a_name_that_needs_escaping_are_always_there():
    clock = FakeClock()
    world = World(seed=99, executions=5, clock=clock)
    clock.now += 30 * DAY
    executions = [world.get(u) for u in world.uuids()]
    assert executions[0]["account"]["name"] == "Siobhán O'Brien & <Sons>"
    assert executions[0]["status"] == "failed"
    docs_like = executions[1]
    assert docs_like["name"] == "Send client welcome pack to newly created client"
    assert docs_like["steps"][0]["name"] == "Send SMS"
    assert docs_like["steps"][0]["status"] == "completed"
    assert docs_like["steps"][0]["info"] == DOCS_INFO_ERROR


def test_create_and_drive_a_static_execution():
    clock = FakeClock()
    world = World(executions=0, clock=clock)
    created = world.create_execution(steps=[{"name": "Send SMS"}], next_step="Send email")
    assert created["status"] == "in_progress" and created["steps"][0]["status"] == "completed"
    clock.now += 100
    assert world.get(created["uuid"]) == created  # static: time alone changes nothing
    driven = world.drive(
        created["uuid"],
        update_steps={0: {"status": "failed", "info": "Mailbox unavailable: 550 5.1.1 user unknown"}},
        add_steps=[{"name": "Send email", "status": "completed", "info": "Email queued for delivery"}],
        next_step=None,
        status="failed",
    )
    assert driven["status"] == "failed" and driven["next_step"] is None
    assert [s["status"] for s in driven["steps"]] == ["failed", "completed"]
    assert driven["previous_step"]["name"] == "Send email"
    assert driven["updated_at"] > created["updated_at"]
    assert world.get(created["uuid"]) == driven
    assert world.remove(created["uuid"]) and world.get(created["uuid"]) is None
    with pytest.raises(KeyError):
        world.drive(created["uuid"], status="completed")


def test_driving_a_generated_execution_freezes_it():
    clock = FakeClock()
    world = World(seed=3, executions=30, clock=clock)
    target = next(u for u in world.uuids() if world.get(u)["status"] == "in_progress")
    frozen = world.drive(target, status="cancelled")
    clock.now += 30 * DAY
    assert world.get(target) == frozen and frozen["status"] == "cancelled"


def test_payloads_returned_are_copies():
    world = World(executions=0)
    created = world.create_execution()
    created["status"] = "tampered"
    world.get(created["uuid"])["steps"].append("junk")
    assert world.get(created["uuid"])["status"] == "in_progress"
    assert world.get(created["uuid"])["steps"] == []


def test_create_many_is_fast_and_unique():
    world = World(executions=0)
    started = time.perf_counter()
    uuids = world.create_many(10_000)
    elapsed = time.perf_counter() - started
    assert len(set(uuids)) == 10_000 and len(world) == 10_000
    assert elapsed < 2.0, f"create_many(10000) took {elapsed:.2f}s"
    assert world.get(uuids[0])["steps"][1]["status"] == "completed"
