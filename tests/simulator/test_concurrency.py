"""Many clients at once while executions change: every answer stays whole and consistent."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.simulator.helpers import EXECUTIONS


def test_parallel_batches_while_executions_are_driven(simulator):
    uuids = simulator.create_many(2000)
    batches = [uuids[i : i + 200] for i in range(0, 2000, 200)] * 3
    stop = threading.Event()

    def driver():
        step = 0
        while not stop.is_set():
            simulator.drive(uuids[step % 2000], add_steps=[{"name": "Send email"}])
            step += 1

    def fetch(batch):
        with requests.Session() as session:
            session.headers.update(simulator.headers())
            params = {"filter[uuid]": ",".join(batch), "per_page": 500}
            response = session.get(simulator.url + EXECUTIONS, params=params, timeout=30)
        assert response.status_code == 200
        data = response.json()["data"]
        assert sorted(item["uuid"] for item in data) == sorted(batch)
        assert all(item["previous_step"] == item["steps"][-1] for item in data)
        return len(data)

    thread = threading.Thread(target=driver)
    thread.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            assert sum(pool.map(fetch, batches)) == 6000
    finally:
        stop.set()
        thread.join()
    stats = simulator.stats
    assert stats.list_requests == 30 and stats.by_status == {200: 30}
    assert stats.list_uuid_counts == [200] * 30
