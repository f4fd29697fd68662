"""Accounts: roles, sign-in (allauth), 2FA, SSO, throttling, sessions, audit retention.

Owned by the accounts app; docs in README "Accounts and sign-in". Its apps, middleware
and context processor are in web.py's lists, its beat task in work.py's schedule.
"""

from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_float, env_int, env_list, env_str

from .web import DEBUG

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
ACCOUNT_SESSION_REMEMBER = None
# A reset asked for an address no account uses sends nothing (and the page says the same
# as for a known one).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Failed sign-ins: at most LOGIN_FAILURES_PER_ACCOUNT per account (whatever the account,
# existing or not) and LOGIN_FAILURES_PER_IP per address, in LOGIN_FAILURE_WINDOW_MINUTES.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{LOGIN_FAILURES_PER_IP}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/ip,"
        f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/key"
    ),
    # Every other door that takes a password, or sends a reset email, in the same window:
    # as many tries per user (change, reauthenticate) as a sign-in gets, and reset emails
    # per address (key) and per IP.
    "change_password": f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/user",
    "reauthenticate": f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/user",
    "reset_password": (
        f"{LOGIN_FAILURES_PER_IP}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/ip,"
        f"3/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/key"
    ),
    "reset_password_from_key": f"{LOGIN_FAILURES_PER_IP}/{LOGIN_FAILURE_WINDOW_MINUTES * 60}s/ip",
}
# Behind a proxy, the number of proxies whose X-Forwarded-For entries to trust (for the
# per-IP throttle and the audit log's addresses).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Two-factor: TOTP with recovery codes, and WebAuthn security keys (HTTPS only).
REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Plannr monitor")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Addresses are set by administrators, not verified by mail; 2FA must not wait for that.
MFA_ALLOW_UNVERIFIED_EMAIL = True

# Single sign-on with OpenID Connect (Microsoft Entra ID or any provider).
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "Microsoft 365")
OIDC_SCOPES = env_list("OIDC_SCOPES", ["openid", "profile", "email"])
# A claim (e.g. "groups" or "roles") whose values map to roles: "value=Role,value=Role".
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM")
OIDC_ROLE_MAP = {}
for _pair in env_list("OIDC_ROLE_MAP"):
    _value, _sep, _role = _pair.rpartition("=")
    if not _sep or _role.strip() not in ("Viewer", "Operator", "Admin") or not _value.strip():
        raise ImproperlyConfigured(f"OIDC_ROLE_MAP entries must be 'claim-value=Viewer|Operator|Admin', got {_pair!r}")
    OIDC_ROLE_MAP[_value.strip()] = _role.strip()
SSO_ENABLED = bool(OIDC_SERVER_URL)
if SSO_ENABLED and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_SERVER_URL is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required too")
PASSWORD_LOGIN_ENABLED = env_bool("PASSWORD_LOGIN_ENABLED", True)
if not PASSWORD_LOGIN_ENABLED and not SSO_ENABLED:
    raise ImproperlyConfigured("PASSWORD_LOGIN_ENABLED=false needs single sign-on (OIDC_SERVER_URL)")
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_SERVER_URL, "scope": OIDC_SCOPES},
            }
        ]
        if SSO_ENABLED
        else [],
    }
}

# Sessions end after SESSION_IDLE_HOURS without a request from the person (timed page
# refreshes do not count).
SESSION_IDLE_HOURS = env_float("SESSION_IDLE_HOURS", 8.0, minimum=0.1)
SESSION_COOKIE_AGE = int(SESSION_IDLE_HOURS * 3600)
USERSESSIONS_TRACK_ACTIVITY = False

AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 400, minimum=1)
