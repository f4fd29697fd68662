"""The API's role table: (caller x every /api/v1 operation) -> the status it gets.

The operations come from the API's own routers (its OpenAPI document): a new operation
without a rule in accounts.rules.API_RULES fails `test_every_operation_has_a_rule`, and one
without a row in SAMPLES fails `test_every_operation_has_a_sample`. Each sample names the
least role the call needs, written here independently of the rule table, so a rule that
drifts from what the pages allow fails `test_role_table`.
"""

import pytest

from accounts import roles, rules
from api.models import Scope
from api.v1 import api
from executions.models import Watch
from incidents.models import Incident
from monitors.models import Monitor
from tests.accounts.helpers import state_digest, user_in_role

from .conftest import bearer

pytestmark = pytest.mark.django_db

UUID = "6f0a3c7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"
MISSING = 987654
VIEWER, OPERATOR, ADMIN = roles.VIEWER, roles.OPERATOR, roles.ADMIN
RANK = {None: 0, VIEWER: 1, OPERATOR: 2, ADMIN: 3}

# "METHOD path" -> (path values, JSON body, least role, status for a caller who may).
# Missing ids answer 404 and bodies the API refuses answer 422 to whoever may ask, so no
# call changes anything; a refused caller gets 403 before the body is read.
SAMPLES = {
    "GET /api/v1/watches": ({}, None, VIEWER, 200),
    "POST /api/v1/watches": ({}, {"uuids": []}, VIEWER, 422),
    "GET /api/v1/watches/{uuid}": ({"uuid": UUID}, None, VIEWER, 404),
    "PATCH /api/v1/watches/{uuid}": ({"uuid": UUID}, {"label": "x"}, VIEWER, 404),
    "DELETE /api/v1/watches/{uuid}": ({"uuid": UUID}, None, VIEWER, 404),
    "GET /api/v1/executions": ({}, None, VIEWER, 200),
    "GET /api/v1/executions/{uuid}": ({"uuid": UUID}, None, VIEWER, 404),
    "GET /api/v1/executions/{uuid}/history": ({"uuid": UUID}, None, VIEWER, 404),
    "GET /api/v1/exports/watchlist.csv": ({}, None, VIEWER, 200),
    "GET /api/v1/exports/incidents.csv": ({}, None, VIEWER, 200),
    "GET /api/v1/monitors": ({}, None, VIEWER, 200),
    "POST /api/v1/monitors": ({}, {}, ADMIN, 422),
    "GET /api/v1/monitors/{monitor_id}": ({"monitor_id": MISSING}, None, VIEWER, 404),
    "PUT /api/v1/monitors/{monitor_id}": ({"monitor_id": MISSING}, {}, ADMIN, 422),
    "DELETE /api/v1/monitors/{monitor_id}": ({"monitor_id": MISSING}, None, ADMIN, 404),
    "POST /api/v1/monitors/{monitor_id}/pause": ({"monitor_id": MISSING}, {}, ADMIN, 404),
    "POST /api/v1/monitors/{monitor_id}/resume": ({"monitor_id": MISSING}, None, ADMIN, 404),
    "GET /api/v1/monitors/{monitor_id}/executions": ({"monitor_id": MISSING}, None, VIEWER, 404),
    "GET /api/v1/monitors/{monitor_id}/executions.csv": ({"monitor_id": MISSING}, None, VIEWER, 404),
    "GET /api/v1/incidents": ({}, None, VIEWER, 200),
    "GET /api/v1/incidents/{incident_id}": ({"incident_id": MISSING}, None, VIEWER, 404),
    "POST /api/v1/incidents/{incident_id}/acknowledge": ({"incident_id": MISSING}, None, OPERATOR, 404),
    "POST /api/v1/incidents/{incident_id}/resolve": ({"incident_id": MISSING}, None, OPERATOR, 404),
    "POST /api/v1/incidents/{incident_id}/ignore": ({"incident_id": MISSING}, None, OPERATOR, 404),
    "POST /api/v1/incidents/{incident_id}/snooze": ({"incident_id": MISSING}, {"minutes": 5}, OPERATOR, 404),
    "GET /api/v1/connections": ({}, None, ADMIN, 200),
    "GET /api/v1/connections/{connection_id}": ({"connection_id": MISSING}, None, ADMIN, 404),
}

# (name, role, how it authenticates): the browser session, a write token or a read-only token.
CALLERS = [
    ("anonymous", None, None),
    ("no role", None, "session"),
    ("no role token", None, Scope.WRITE),
    ("viewer", VIEWER, "session"),
    ("operator", OPERATOR, "session"),
    ("admin", ADMIN, "session"),
    ("viewer token", VIEWER, Scope.WRITE),
    ("operator token", OPERATOR, Scope.WRITE),
    ("admin read-only token", ADMIN, Scope.READ),
]
SAFE = ("GET", "HEAD")


def operations():
    """Every "METHOD path" the API serves, from its routers."""
    paths = api.get_openapi_schema()["paths"]
    return sorted(f"{method.upper()} {path}" for path, methods in paths.items() for method in methods)


def test_every_operation_has_a_rule():
    missing = [op for op in operations() if op not in rules.API_RULES]
    assert missing == [], f"add rules for these API operations to accounts.rules.API_RULES: {missing}"
    assert sorted(rules.API_RULES) == operations(), "API_RULES names an operation the API no longer has"


def test_every_operation_has_a_sample():
    assert sorted(SAMPLES) == operations(), "add these API operations to SAMPLES in tests/api/test_roles.py"


def _expected(operation, caller):
    method = operation.split()[0]
    _, _, least, allowed_status = SAMPLES[operation]
    name, role, auth = caller
    if auth is None:
        return 401
    if auth == Scope.READ and method not in SAFE:
        return 403
    return allowed_status if RANK[role] >= RANK[least] else 403


def _api_state():
    return state_digest(), Monitor.objects.count(), list(Incident.objects.values_list("status", flat=True))


CASES = [(op, caller) for op in SAMPLES for caller in CALLERS]


@pytest.mark.parametrize(("operation", "caller"), CASES, ids=[f"{op}-{c[0]}" for op, c in CASES])
def test_role_table(client, operation, caller):
    method, path = operation.split(" ", 1)
    values, body, _, _ = SAMPLES[operation]
    name, role, auth = caller
    headers = {}
    if auth == "session":
        client.force_login(user_in_role("subject", role))
    elif auth is not None:
        headers = bearer(user_in_role("subject", role), auth)
    kwargs = {"content_type": "application/json"} if body is not None else {}

    before = _api_state()
    response = getattr(client, method.lower())(path.format(**values), body, **kwargs, **headers)

    expected = _expected(operation, caller)
    assert response.status_code == expected, (response.status_code, response.content[:200])
    if expected in (401, 403):
        assert response.json()["code"] in ("unauthorized", "forbidden", "insufficient_scope")
        assert _api_state() == before


def test_a_viewer_can_read_and_change_only_their_watchlist(client):
    """The rule lets a Viewer write their watchlist, and nothing else that writes."""
    viewer = user_in_role("viewer", VIEWER)
    headers = bearer(viewer)
    write = client.post("/api/v1/watches", {"uuids": [UUID]}, content_type="application/json", **headers)
    assert write.status_code in (200, 201, 207)
    assert Watch.objects.filter(user=viewer).count() == 1
    refused = client.post("/api/v1/monitors", {}, content_type="application/json", **headers)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_a_route_the_table_does_not_name_is_refused():
    """No rule, no access: what api/auth.py does with an operation API_RULES lacks."""
    assert rules.api_rule("GET", "api/v1/no-such/<thing_id>") is None
    assert rules.api_rule("GET", "api/v1/incidents/<incident_id>") == rules.API_RULES[
        "GET /api/v1/incidents/{incident_id}"
    ]
    assert rules.api_rule("HEAD", "api/v1/watches") == rules.API_RULES["GET /api/v1/watches"]
