"""Schemathesis fuzzes every operation of /api/v1/openapi.json: no 500s, no answer outside the schema.

It runs in this process against Django's WSGI app, on the real test database,
as a user with a write token and a few watches of their own. Each operation gets
a bounded number of examples so the run stays within seconds per operation.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import tokens
from executions.models import Watch
from monitors.models import Finding
from tests.builders import add_snapshot, add_step, watch
from tests.incidents.test_grouping import failing
from tests.monitors.builders import everything

MAX_EXAMPLES = 30


# Date-times the default strategy rarely makes: RFC 3339 allows offsets up to 23:59
# (PostgreSQL stores at most 15:59), and Unicode digits pass str.isdigit(). Both once
# answered 500; the fuzzer keeps trying them.
UNICODE_DIGITS = "²٣１߁"
_far_offset = st.builds("{}{:02d}:{:02d}".format, st.sampled_from("+-"), st.integers(14, 23), st.integers(0, 59))
_plain = st.dates().map(str).flatmap(
    lambda day: st.builds("{}T{:02d}:{:02d}:00{}".format, st.just(day), st.integers(0, 23),
                          st.integers(0, 59), st.just("Z") | _far_offset)
)
_unicode = _plain.flatmap(
    lambda value: st.sampled_from(UNICODE_DIGITS).map(lambda d: d + value[1:])
)
schemathesis.openapi.format("date-time", _plain | _unicode)

# Loaded at collection, through the WSGI app: the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_connection(db):
    # As Django's test client does: a request must not close the test's connection,
    # which holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, owner, other_user, settings):
    # The fuzzer's requests must reach the operations, not the rate limit.
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    for n in range(3):
        w = watch(owner, label=f"label {n}", status=["failed", "completed", ""][n], is_failing=n == 0)
        add_step(w.execution, position=1, name="Send SMS", messages=["the account_uuid field is required"])
        add_snapshot(w.execution, [{"kind": "status", "from": "pending", "to": "failed"}])
    watch(other_user)
    # Something for the monitors' operations to find (the fuzzer's user, a Viewer, may read them).
    monitor = everything(None, name="Everything")
    Finding.objects.create(monitor=monitor, execution=w.execution, found_at=w.created_at)
    # And an incident on an execution the user watches, for the incidents' operations.
    Watch.objects.create(user=owner, execution=failing())
    return tokens.create_token(owner, "fuzz", "write")[1]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, token, keep_connection, redis_client):
    # Schema-valid input may still be refused with the documented 422 (an empty paste,
    # a cursor that was never issued): that is the API's contract, not a fault. Every
    # other check (no 5xx, documented statuses, response schemas, content types) runs.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance]
    )


def test_the_schema_is_served_and_lists_every_resource(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/watches",
        "/api/v1/watches/{uuid}",
        "/api/v1/executions",
        "/api/v1/executions/{uuid}",
        "/api/v1/executions/{uuid}/history",
        "/api/v1/exports/watchlist.csv",
        "/api/v1/monitors",
        "/api/v1/monitors/{monitor_id}",
        "/api/v1/monitors/{monitor_id}/pause",
        "/api/v1/monitors/{monitor_id}/resume",
        "/api/v1/monitors/{monitor_id}/executions",
        "/api/v1/monitors/{monitor_id}/executions.csv",
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/incidents/{incident_id}/acknowledge",
        "/api/v1/incidents/{incident_id}/resolve",
        "/api/v1/incidents/{incident_id}/ignore",
        "/api/v1/incidents/{incident_id}/snooze",
        "/api/v1/exports/incidents.csv",
    } <= set(paths)


def test_an_unknown_endpoint_answers_in_the_error_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_every_execution_shape_in_the_schema_has_its_connections_name(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    shapes = [name for name, s in schemas.items() if {"uuid", "poll_state", "url"} <= set(s.get("properties", {}))]
    assert {"ExecutionSummary", "ExecutionOut", "ExecutionDetail", "FoundExecution", "AffectedExecution"} <= set(shapes)
    for name in shapes:
        assert schemas[name]["properties"]["connection"]["type"] == "string", name
        assert "connection" in schemas[name]["required"], name
