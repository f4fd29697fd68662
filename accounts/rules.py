"""Who may use each URL: one declarative table, checked by RulesMiddleware for every request.

A rule is looked up by the URL's name ("executions:detail"), then by its namespace
("admin:"), then by a name prefix ("account_"). A URL with no rule answers 403 to
everyone, and tests/accounts/test_roles.py fails for it: add its rule here when you
add a view. Views still check ownership themselves (another user's watch is a 404).

    Rule(PUBLIC)                      no sign-in needed
    Rule(SIGNED_IN)                   any signed-in user, whatever their role
    Rule("accounts.manage_monitors")  signed in, with that permission (superusers have all)
    Rule(read="...", write="...")     one permission for GET/HEAD, another for other methods
"""

import re
from dataclasses import dataclass

PUBLIC = "public"
SIGNED_IN = "signed-in"

VIEW = "accounts.view_monitoring"
OWN_WATCHLIST = "accounts.manage_own_watchlist"
TRIAGE = "accounts.triage_incidents"
OWN_CHANNELS = "accounts.manage_own_channels"
MONITORS = "accounts.manage_monitors"
ORG_CHANNELS = "accounts.manage_org_channels"
USERS = "accounts.manage_users"
AUDIT = "accounts.view_audit_log"
# Unredacted client data on pages (privacy/middleware.py); no URL needs it.
PERSONAL_DATA = "accounts.view_personal_data"

# What only Admins may do that is no URL of its own, each named after the Admin permission
# that carries it (roles.py; superusers have every permission). Nothing asks the staff flag:
# that flag only lets Admins into the Django admin site (roles.sync_staff).
SEE_ALL_INCIDENTS = MONITORS  # every incident and all its executions (visibility.py)
ADD_APPRISE_CHANNELS = ORG_CHANNELS  # an Apprise URL can reach anything

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Rule:
    read: str
    write: str | None = None

    def requirement(self, method):
        """PUBLIC, SIGNED_IN or a permission name, for an HTTP method."""
        if method in SAFE_METHODS or self.write is None:
            return self.read
        return self.write


RULES = {
    # Project
    "healthz": Rule(PUBLIC),
    # Sign-in pages (allauth checks its own pages' needs below, by prefix)
    "login": Rule(PUBLIC),
    "logout": Rule(PUBLIC),
    # Django's old password addresses, redirecting to allauth's pages.
    "password_reset": Rule(PUBLIC),
    "password_change": Rule(SIGNED_IN),
    # Watchlist and execution pages: the user's own watches
    "executions:watchlist": Rule(VIEW),
    "executions:watchlist_rows": Rule(VIEW),
    "executions:add": Rule(OWN_WATCHLIST),
    "executions:detail": Rule(VIEW),
    "executions:live": Rule(VIEW),
    "executions:poll": Rule(VIEW),
    "executions:label": Rule(OWN_WATCHLIST),
    "executions:unwatch": Rule(OWN_WATCHLIST),
    "executions:watch": Rule(OWN_WATCHLIST),
    "executions:step_info": Rule(VIEW),
    # Poll health: the token's state and "retry now" are the Admins' business.
    "executions:poll_health": Rule(USERS),
    "executions:poll_health_live": Rule(USERS),
    "executions:poll_health_retry": Rule(USERS),
    # Alerts: the user's own failure events, deliveries and email preferences
    "alerts:events": Rule(VIEW),
    "alerts:settings": Rule(VIEW, write=OWN_WATCHLIST),
    "alerts:mute": Rule(OWN_WATCHLIST),
    "alerts:retry": Rule(OWN_WATCHLIST),
    # Authenticated by the token in the URL: mail clients POST without a session.
    "alerts:opt_out": Rule(PUBLIC),
    # Accounts: one's own profile and sessions
    "accounts:profile": Rule(SIGNED_IN),
    "accounts:sign_out_everywhere": Rule(SIGNED_IN),
    # Audit log
    "audit:events": Rule(AUDIT),
    "audit:export": Rule(AUDIT),
    # Monitors: everyone sees them (they are the organisation's); Admins change them.
    "monitors:overview": Rule(VIEW),
    "monitors:overview_live": Rule(VIEW),
    "monitors:list": Rule(VIEW),
    "monitors:list_live": Rule(VIEW),
    "monitors:detail": Rule(VIEW),
    "monitors:rows": Rule(VIEW),
    "monitors:subscription": Rule(OWN_WATCHLIST),
    "monitors:new": Rule(MONITORS),
    "monitors:edit": Rule(MONITORS),
    "monitors:pause": Rule(MONITORS),
    "monitors:resume": Rule(MONITORS),
    "monitors:delete": Rule(MONITORS),
    # Incidents: everyone sees those of executions they may see; Operators triage them.
    "expectations:blueprint": Rule(VIEW),
    "expectations:blueprint_by_name": Rule(VIEW),
    "expectations:incident_blueprint": Rule(VIEW),
    # Outcome reports: counts and times only, no client data.
    "reports:page": Rule(VIEW),
    "reports:csv": Rule(VIEW),
    "reports:pdf": Rule(VIEW),
    "reports:emails": Rule(VIEW),
    "expectations:blueprint_rows": Rule(VIEW),
    "expectations:suggest": Rule(MONITORS),
    "expectations:accept": Rule(MONITORS),
    "incidents:list": Rule(VIEW),
    "incidents:detail": Rule(VIEW),
    "incidents:rows": Rule(VIEW),
    "incidents:for_execution": Rule(VIEW),
    "incidents:act": Rule(TRIAGE),
    "incidents:bulk": Rule(TRIAGE),
    # Routing (routing/): an alert's action link needs only sign-in (the view checks the
    # triage permission and the incident's visibility, and says so on a clear page).
    "routing:action": Rule(SIGNED_IN),
    "routing:routes": Rule(ORG_CHANNELS),
    "routing:add_route": Rule(ORG_CHANNELS),
    "routing:delete_route": Rule(ORG_CHANNELS),
    "routing:move_route": Rule(ORG_CHANNELS),
    "routing:mark_severity": Rule(ORG_CHANNELS),
    # Alert channels: Operators manage their own (organisation ones need ORG_CHANNELS, checked
    # by the channels services); another user's channel is a 404.
    "channels:list": Rule(OWN_CHANNELS),
    "channels:add": Rule(OWN_CHANNELS),
    "channels:created": Rule(OWN_CHANNELS),
    "channels:detail": Rule(OWN_CHANNELS),
    "channels:log": Rule(OWN_CHANNELS),
    "channels:test": Rule(OWN_CHANNELS),
    "channels:test_status": Rule(OWN_CHANNELS),
    "channels:confirm": Rule(OWN_CHANNELS),
    "channels:delete": Rule(OWN_CHANNELS),
    "channels:monitors": Rule(ORG_CHANNELS),
    # Plannr connections: Admins only (they hold credentials and decide what is polled).
    "connections:list": Rule(USERS),
    "connections:add": Rule(USERS),
    "connections:choose": Rule(USERS),
    "connections:oauth_start": Rule(USERS),
    "connections:oauth_callback": Rule(USERS),
    "connections:test": Rule(USERS),
    "connections:rename": Rule(USERS),
    "connections:rotate": Rule(USERS),
    "connections:links": Rule(USERS),
    "connections:pause": Rule(USERS),
    "connections:delete": Rule(USERS),
    # API tokens: one's own, for the API's own role checks (api/auth.py).
    "api:tokens": Rule(VIEW),
    "api:revoke": Rule(VIEW),
    # Custom redaction rules (privacy/): Admins only.
    "privacy:rules": Rule(USERS),
    "privacy:rule_delete": Rule(USERS),
    # make bench's baseline view (bench/urls.py): the same check as a page.
    "bench_trivial": Rule(VIEW),
    # Any other path under /api/v1/: the API's JSON 404.
    "api_not_found": Rule(PUBLIC),
    # Authenticated by METRICS_TOKEN or the network allowlist (metrics/views.py).
    "metrics": Rule(PUBLIC),
}

# The admin site (it also checks its model permissions): Admins only.
NAMESPACE_RULES = {
    "admin": Rule(USERS),
    # The JSON API authenticates by token or session and applies API_RULES itself
    # (api/auth.py), answering in its own JSON error shape.
    "api-v1": Rule(PUBLIC),
}

# The JSON API: every operation, as "METHOD path" in /api/v1/openapi.json. api/auth.py
# applies the rule once the token or session has said who is calling, before the call's
# input is read; an operation without a rule answers 403 to everyone, and
# tests/api/test_roles.py, whose table is generated from the API's routers, fails for it.
# Row visibility (which watch, execution, incident) is visibility.py's, as on the pages.
API_RULES = {
    "GET /api/v1/watches": Rule(VIEW),
    "POST /api/v1/watches": Rule(OWN_WATCHLIST),
    "GET /api/v1/watches/{uuid}": Rule(VIEW),
    "PATCH /api/v1/watches/{uuid}": Rule(OWN_WATCHLIST),
    "DELETE /api/v1/watches/{uuid}": Rule(OWN_WATCHLIST),
    "GET /api/v1/executions": Rule(VIEW),
    "GET /api/v1/executions/{uuid}": Rule(VIEW),
    "GET /api/v1/executions/{uuid}/history": Rule(VIEW),
    "GET /api/v1/exports/watchlist.csv": Rule(VIEW),
    "GET /api/v1/exports/incidents.csv": Rule(VIEW),
    # Monitors: everyone reads them; Admins change them (as monitors:new, edit...).
    "GET /api/v1/monitors": Rule(VIEW),
    "POST /api/v1/monitors": Rule(MONITORS),
    "GET /api/v1/monitors/{monitor_id}": Rule(VIEW),
    "PUT /api/v1/monitors/{monitor_id}": Rule(MONITORS),
    "DELETE /api/v1/monitors/{monitor_id}": Rule(MONITORS),
    "POST /api/v1/monitors/{monitor_id}/pause": Rule(MONITORS),
    "POST /api/v1/monitors/{monitor_id}/resume": Rule(MONITORS),
    "GET /api/v1/monitors/{monitor_id}/executions": Rule(VIEW),
    "GET /api/v1/monitors/{monitor_id}/executions.csv": Rule(VIEW),
    # Incidents: everyone reads those they may see; Operators triage them (as incidents:act).
    "GET /api/v1/incidents": Rule(VIEW),
    "GET /api/v1/incidents/{incident_id}": Rule(VIEW),
    "POST /api/v1/incidents/{incident_id}/acknowledge": Rule(TRIAGE),
    "POST /api/v1/incidents/{incident_id}/resolve": Rule(TRIAGE),
    "POST /api/v1/incidents/{incident_id}/ignore": Rule(TRIAGE),
    "POST /api/v1/incidents/{incident_id}/snooze": Rule(TRIAGE),
    # Plannr connections (read-only): Admins, as on the connections pages.
    "GET /api/v1/connections": Rule(USERS),
    "GET /api/v1/connections/{connection_id}": Rule(USERS),
}

# allauth's pages (sign-in, 2FA, SSO callback, sessions) check what they need themselves:
# sign-in steps are for anyone, management pages need a signed-in user.
PREFIX_RULES = {
    "account_": Rule(PUBLIC),
    "mfa_": Rule(PUBLIC),
    "socialaccount_": Rule(PUBLIC),
    "openid_connect_": Rule(PUBLIC),
    "usersessions_": Rule(SIGNED_IN),
}


def rule_for(view_name, namespace=""):
    if view_name in RULES:
        return RULES[view_name]
    first = namespace.split(":")[0] if namespace else ""
    if first in NAMESPACE_RULES:
        return NAMESPACE_RULES[first]
    for prefix, rule in PREFIX_RULES.items():
        if view_name and view_name.startswith(prefix):
            return rule
    return None


def api_rule(method, route):
    """The rule of the API operation a request resolved to: `route` is Django's pattern
    ("api/v1/incidents/<incident_id>"), written as OpenAPI writes paths."""
    path = "/" + re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", route)
    return API_RULES.get(f"{'GET' if method == 'HEAD' else method} {path}")


def allows(user, rule, method):
    need = rule.requirement(method)
    if need == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if need == SIGNED_IN:
        return True
    return user.has_perm(need)
