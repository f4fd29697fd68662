"""The single-execution endpoint and the payload shape of the documentation (seed 001)."""

import json
import uuid
from pathlib import Path

from simulator.stories import DOCS_INFO_ERROR
from tests.simulator.helpers import EXECUTIONS, api_get

SEED_001 = Path(__file__).resolve().parents[1] / "plannr" / "seeds" / "001_a00a79171213cda9.txt"


def documented_example():
    text = SEED_001.read_text()
    return json.loads(text[text.index("Response examples (200)") :].split("\n", 1)[1])


def test_payload_has_the_documented_fields_in_the_documented_order(simulator):
    example = documented_example()
    created = simulator.create_execution(
        steps=[{"name": "Send SMS", "status": "completed", "info": DOCS_INFO_ERROR}],
        next_step="Send email",
    )
    served = api_get(simulator, f"{EXECUTIONS}/{created['uuid']}", {"include": "account"}).json()
    assert list(served) == list(example)
    assert list(served["steps"][0]) == list(example["steps"][0])
    assert list(served["next_step"]) == list(example["next_step"])
    assert list(served["previous_step"]) == list(example["previous_step"])
    assert list(served["account"]) == list(example["account"])
    assert list(served["account"]["permissions"]) == list(example["account"]["permissions"])
    # The quirky info survives the round trip byte for byte, as in the docs.
    assert served["steps"][0]["info"] == example["steps"][0]["info"]
    assert served["previous_step"] == served["steps"][0]
    assert served["next_step"]["name"] == "Send email" and served["next_step"]["executed_at"] is None


def test_single_execution_without_include_has_no_account(simulator):
    created = simulator.create_execution(status="completed")
    response = api_get(simulator, f"{EXECUTIONS}/{created['uuid']}")
    assert response.status_code == 200
    body = response.json()
    assert "account" not in body
    assert body["status"] == "completed" and body["previous_step"] is None and body["steps"] == []


def test_timestamps_are_iso_8601_with_the_london_offset(simulator):
    simulator.world.clock = lambda: 1_780_931_283.0  # 2026-06-08 16:08:03 BST
    body = simulator.create_execution()
    assert body["created_at"] == "2026-06-08T16:08:03+01:00"
    simulator.world.clock = lambda: 1_795_000_000.0  # winter
    assert simulator.drive(body["uuid"], status="completed")["updated_at"].endswith("+00:00")


def test_unknown_or_malformed_uuid_is_404_with_a_message(simulator):
    for value in (str(uuid.uuid4()), "not-a-uuid"):
        response = api_get(simulator, f"{EXECUTIONS}/{value}")
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/json"
        assert value in response.json()["message"]


def test_unknown_statuses_are_served_as_data(simulator):
    created = simulator.create_execution(status="paused_by_admin", steps=[{"status": "skipped"}])
    body = api_get(simulator, f"{EXECUTIONS}/{created['uuid']}").json()
    assert body["status"] == "paused_by_admin" and body["steps"][0]["status"] == "skipped"


def test_uuid_lookup_ignores_case(simulator):
    created = simulator.create_execution()
    response = api_get(simulator, f"{EXECUTIONS}/{created['uuid'].upper()}")
    assert response.status_code == 200 and response.json()["uuid"] == created["uuid"]
    assert simulator.stats.single_requests == 1
