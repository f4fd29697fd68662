"""The role table: (role x every URL and action) -> the allowed status, or 403 and nothing changed.

The URLs come from the URL conf: a new view without a rule in accounts/rules.py fails
`test_every_url_has_a_rule`, and one without a row in SAMPLES fails `test_every_url_has_a_sample`.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles, rules
from tests.accounts.helpers import state_digest, user_in_role
from tests.builders import watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no role"
ROLES = [ANONYMOUS, NO_ROLE, roles.VIEWER, roles.OPERATOR, roles.ADMIN]


def url_names(patterns=None, namespace=""):
    """(view name, namespace) of every named URL in the URL conf."""
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            found += url_names(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            found.append((f"{namespace}:{p.name}" if namespace else p.name, namespace))
    return sorted(set(found))


# view name -> [(method, args builder, data, htmx, allowed status)]: "allowed status" is what a
# permitted user gets (None: any answer below 400 but 403-free, for public sign-in pages).
def _watch(ctx):
    return {"uuid": ctx["watch"].execution.uuid}


def _missing(ctx):
    return {"pk": 987654}


def _blueprint(ctx):
    """A blueprint's page arguments: a name within the sample watch's connection."""
    return {"connection": ctx["watch"].execution.connection_id, "name": "Annual review"}


SAMPLES = {
    "healthz": [("get", None, None, False, None)],
    "login": [("get", None, None, False, None)],
    "logout": [("get", None, None, False, None)],
    # Django's old password addresses lead to allauth's pages.
    "password_reset": [("get", None, None, False, 302)],
    "password_change": [("get", None, None, False, 302)],
    "executions:watchlist": [("get", None, None, False, 200)],
    "executions:watchlist_rows": [("get", None, None, True, 200)],
    "executions:add": [("post", None, {"uuids": "6f0a3c7e-1d2b-4c5d-8e9f-0a1b2c3d4e5f"}, False, 302)],
    "executions:detail": [("get", _watch, None, False, 200)],
    "executions:live": [("get", _watch, None, True, 200)],
    "executions:poll": [("post", _watch, None, False, 302)],
    "executions:label": [("post", _watch, {"label": "changed"}, False, 302)],
    "executions:unwatch": [("post", _watch, None, False, 302)],
    "executions:watch": [("post", _watch, None, False, 302)],
    "executions:step_info": [("get", lambda c: {**_watch(c), "step_uuid": uuid.uuid4()}, None, False, 404)],
    "executions:poll_health": [("get", None, None, False, 200)],
    "connections:list": [("get", None, None, False, 200)],
    "connections:add": [("post", None, {"name": ""}, False, 400)],
    "connections:choose": [("get", None, None, False, 302)],
    "connections:oauth_start": [("post", None, None, False, 404)],
    "connections:oauth_callback": [("get", None, None, False, 302)],
    "connections:test": [("post", _missing, None, False, 404)],
    "connections:rename": [("post", _missing, None, False, 404)],
    "connections:rotate": [("post", _missing, None, False, 404)],
    "connections:links": [("post", _missing, None, False, 404)],
    "connections:pause": [("post", _missing, None, False, 404)],
    "connections:delete": [("get", _missing, None, False, 404)],
    "privacy:rules": [("get", None, None, False, 200)],
    "privacy:rule_delete": [("post", _missing, None, False, 404)],
    "executions:poll_health_live": [("get", None, None, True, 200)],
    "executions:poll_health_retry": [("post", None, None, False, 302)],
    "alerts:events": [("get", None, None, False, 200)],
    "alerts:settings": [("get", None, None, False, 200), ("post", None, {"enabled": "", "email": ""}, False, 302)],
    "alerts:mute": [("post", lambda c: {"watch_id": c["watch"].pk}, {"muted": "1"}, False, 302)],
    "alerts:retry": [("post", lambda c: {"delivery_id": 987654}, None, False, 404)],
    "alerts:opt_out": [("get", lambda c: {"token": "not-a-token"}, None, False, 404)],
    "accounts:profile": [("get", None, None, False, 200), ("post", None, {"time_zone": "Asia/Tokyo"}, False, 302)],
    "accounts:sign_out_everywhere": [("post", None, None, False, 302)],
    "audit:events": [("get", None, None, False, 200)],
    "audit:export": [("get", None, None, False, 200)],
    # The admin site (its own model permissions behind this) and a few of allauth's pages.
    "admin:index": [("get", None, None, False, 200)],
    "admin:auth_user_changelist": [("get", None, None, False, 200)],
    "mfa_index": [("get", None, None, False, None)],
    "usersessions_list": [("get", None, None, False, 200)],
    # Pages of other apps: an id that does not exist answers 404 to whoever may ask.
    "reports:page": [("get", None, None, False, 200)],
    "reports:csv": [("get", None, None, False, 200)],
    "reports:pdf": [("get", None, None, False, 200)],
    "reports:emails": [("post", None, {"weekly_report": "on"}, False, 302)],
    "expectations:blueprint": [("get", lambda c: _blueprint(c), None, False, 200)],
    "expectations:blueprint_by_name": [("get", lambda c: {"name": "Annual review"}, None, False, 302)],
    "expectations:incident_blueprint": [("get", _missing, None, False, 404)],
    "expectations:blueprint_rows": [("get", lambda c: _blueprint(c), None, True, 200)],
    "expectations:suggest": [("post", lambda c: _blueprint(c), None, False, 302)],
    "expectations:accept": [("post", _missing, None, False, 404)],
    "monitors:overview": [("get", None, None, False, 200)],
    "monitors:overview_live": [("get", None, None, True, 200)],
    "monitors:list": [("get", None, None, False, 200)],
    "monitors:list_live": [("get", None, None, True, 200)],
    "monitors:detail": [("get", _missing, None, False, 404)],
    "monitors:rows": [("get", _missing, None, True, 404)],
    "monitors:subscription": [("post", _missing, {"action": "mute"}, False, 404)],
    "monitors:new": [("get", None, None, False, 200), ("post", None, {"name": ""}, False, 200)],
    "monitors:edit": [("get", _missing, None, False, 404)],
    "monitors:pause": [("post", _missing, None, False, 404)],
    "monitors:resume": [("post", _missing, None, False, 404)],
    "monitors:delete": [("post", _missing, None, False, 404)],
    "incidents:list": [("get", None, None, False, 200)],
    "incidents:detail": [("get", _missing, None, False, 404)],
    "incidents:rows": [("get", _missing, None, False, 404)],
    "incidents:for_execution": [("get", lambda c: {"uuid": uuid.uuid4()}, None, False, 302)],  # to the list, with a message
    "incidents:act": [("post", _missing, {"action": "acknowledge"}, False, 404)],
    "incidents:bulk": [("post", None, {"action": "acknowledge"}, False, 302)],
    "channels:list": [("get", None, None, False, 200)],
    "channels:add": [("get", None, None, False, 200)],
    "channels:created": [("get", _missing, None, False, 404)],
    "channels:detail": [("get", _missing, None, False, 404)],
    "channels:log": [("get", _missing, None, True, 404)],
    "channels:test": [("post", _missing, None, False, 404)],
    "channels:test_status": [("get", lambda c: {"pk": 987654, "test_id": 987654}, None, True, 404)],
    "channels:confirm": [("post", _missing, None, False, 404)],
    "channels:delete": [("post", _missing, None, False, 404)],
    "channels:monitors": [("post", _missing, None, False, 404)],
    # A tampered token: a clear page for anyone signed in; the view then checks the triage permission.
    "routing:action": [("get", lambda c: {"token": "not-a-signed-link"}, None, False, 400)],
    "routing:routes": [("get", None, None, False, 200)],
    "routing:add_route": [("post", None, {"name": ""}, False, 200)],  # the page again, saying what is wrong
    "routing:delete_route": [("post", _missing, None, False, 404)],
    "routing:move_route": [("post", _missing, {"direction": "up"}, False, 404)],
    "routing:mark_severity": [("post", None, {"blueprint": "", "severity": "critical"}, False, 404)],
    "api:tokens": [("get", None, None, False, 200)],
    "api:revoke": [("post", lambda c: {"token_id": 987654}, None, False, 404)],
    # Without METRICS_TOKEN or an allowlist, /metrics is closed to everyone (its own check).
    "metrics": [("get", None, None, False, 403)],
    "api_not_found": [("get", lambda c: {"path": "no-such-thing"}, None, False, 404)],
}
# Covered by their namespace's or prefix's rule and the samples of it above.
# The JSON API applies the same rule itself, in its own error shape: tests/api/test_roles.py.
DELEGATED_PREFIXES = (
    "admin:", "account_", "mfa_", "socialaccount_", "openid_connect_", "usersessions_", "api-v1:",
)


def test_every_url_has_a_rule():
    missing = [name for name, ns in url_names() if rules.rule_for(name, ns) is None]
    assert missing == [], f"add rules for these URLs to accounts/rules.py: {missing}"


def test_every_url_has_a_sample():
    missing = [n for n, _ in url_names() if n not in SAMPLES and not n.startswith(DELEGATED_PREFIXES)]
    assert missing == [], f"add these URLs to SAMPLES in tests/accounts/test_roles.py: {missing}"


def test_a_url_without_a_rule_is_refused(client, settings):
    settings.ROOT_URLCONF = "tests.accounts.unruled_urls"
    viewer = user_in_role("viewer", roles.VIEWER)
    client.force_login(viewer)
    assert client.get("/unruled/").status_code == 403


CASES = [
    (name, index, role)
    for name, samples in SAMPLES.items()
    for index in range(len(samples))
    for role in ROLES
]


@pytest.mark.parametrize(("name", "index", "role"), CASES, ids=[f"{n}-{i}-{r}" for n, i, r in CASES])
def test_role_table(client, redis_client, name, index, role):
    method, args, data, htmx, allowed_status = SAMPLES[name][index]
    user = None if role == ANONYMOUS else user_in_role("subject", None if role == NO_ROLE else role)
    ctx = {"watch": watch(user or user_in_role("someone", roles.VIEWER), label="before")}
    if user is not None:
        client.force_login(user)
    path = reverse(name, kwargs=args(ctx) if args else None)
    rule = rules.rule_for(*next((n, ns) for n, ns in url_names() if n == name))
    allowed = rules.allows(user or _anonymous(), rule, method.upper())

    before = state_digest()
    response = getattr(client, method)(path, data or {}, headers=HTMX if htmx else {})

    if allowed:
        if allowed_status is None:
            assert response.status_code < 500 and response.status_code != 403, response.status_code
        else:
            assert response.status_code == allowed_status
    elif user is None:
        location = response["HX-Redirect"] if htmx else response["Location"]
        assert response.status_code == (200 if htmx else 302) and location.startswith(reverse("login"))
        assert state_digest() == before
    else:
        assert response.status_code == 403
        assert state_digest() == before


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_the_roles_differ_where_the_issue_says():
    viewer, operator, admin = (user_in_role(r.lower(), r) for r in (roles.VIEWER, roles.OPERATOR, roles.ADMIN))
    assert viewer.has_perm(rules.VIEW) and viewer.has_perm(rules.OWN_WATCHLIST)
    assert not viewer.has_perm(rules.TRIAGE) and not viewer.has_perm(rules.OWN_CHANNELS)
    assert operator.has_perm(rules.TRIAGE) and operator.has_perm(rules.OWN_CHANNELS)
    assert not operator.has_perm(rules.MONITORS) and not operator.has_perm(rules.AUDIT)
    for perm in (rules.MONITORS, rules.ORG_CHANNELS, rules.USERS, rules.AUDIT):
        assert admin.has_perm(perm)
    assert admin.is_staff and not operator.is_staff


def test_new_users_are_viewers_and_superusers_admins(django_user_model):
    user = django_user_model.objects.create_user("plain", password="x")
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "x")
    assert roles.role_of(user) == roles.VIEWER
    assert roles.role_of(boss) == roles.ADMIN
