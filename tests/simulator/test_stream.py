"""The live stream: new executions keep arriving, seeded, per blueprint."""

import json
import urllib.request

from simulator import stories
from simulator.server import SimulatorServer
from simulator.world import World


class Clock:
    def __init__(self, t=1_780_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_new_executions_arrive_at_the_seeded_rate_with_the_usual_outcome_mix():
    clock = Clock()
    world = World(seed=3, executions=0, clock=clock, new_per_minute=120)
    assert len(world) == 0
    clock.t += 600  # ten minutes: about 1200 arrivals
    assert 1050 < len(world) < 1350
    assert abs(sum(world.stream_rates.values()) - 120) < 1e-9
    assert set(world.stream_rates) == {bp.uuid for bp in stories.BLUEPRINTS}
    clock.t += 3600  # long after: every story has played out
    payloads = [world.get(u) for u in world.uuids()[:1000]]
    statuses = [p["status"] for p in payloads]
    failed, running = statuses.count("failed") / 1000, statuses.count("in_progress") / 1000
    assert 0.08 < failed < 0.17 and 0.09 < running < 0.18
    hidden = sum(1 for p in payloads if p["status"] == "completed" and any(
        s["info"] and "error" in json.dumps(s["info"]).lower() for s in p["steps"]))
    assert hidden > 50
    # Created over time, each live from its creation: newest first is a real order.
    created = sorted(p["created_at"] for p in payloads)
    assert created[0] != created[-1]


def test_the_same_seed_streams_the_same_executions():
    a, b = Clock(), Clock()
    first, second = World(seed=9, executions=5, clock=a, new_per_minute=30), World(seed=9, executions=5, clock=b, new_per_minute=30)
    a.t += 300
    b.t += 300
    assert first.uuids() == second.uuids()
    assert World(seed=9, executions=5, clock=Clock()).uuids() == first.uuids()[:5]  # the history is unchanged


def test_the_list_serves_new_arrivals_with_plannrs_defaults():
    clock = Clock()
    world = World(seed=4, executions=0, clock=clock, new_per_minute=60)
    clock.t += 120
    with SimulatorServer(world, tokens=("t",)) as server:
        request = urllib.request.Request(
            f"{server.url}/api/v1/automation-executions", headers={"Authorization": "Bearer t", "Accept": "application/json", "X-PLANNR-ACCOUNT-UUID": server.user.account_uuid}
        )
        body = json.loads(urllib.request.urlopen(request, timeout=10).read())
    assert body["meta"]["per_page"] == 15 and body["meta"]["total"] == len(world) > 15
    names = [e["name"] for e in body["data"]]
    assert names == sorted(names)
