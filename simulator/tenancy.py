"""Who may call the simulated Plannr, and for which account (API.md, "Accounts", "OAuth2").

A Plannr *user* owns a personal access token (or OAuth tokens) and has logins:
a firm (employee) account whose executions are the user's world, and a client
account, which sees no executions. `/api/v1/logins` lists them, with the user's
`preferred_account_uuid` at the top level, on a login, or not at all.
Automation endpoints need `X-PLANNR-ACCOUNT-UUID` naming one of the caller's
accounts. Account UUIDs are derived from the user's name, so a test or the demo
knows them without asking.

The rate budget is per user: every token of one user shares it.
"""

import secrets
import threading
import time
import uuid as uuid_lib

_NAMESPACE = uuid_lib.UUID("6f1c0b9e-5d2a-4c38-9a1e-3b7d2f6c8a10")
PREFERRED_PLACES = ("top", "login", None)


def _uuid(*parts):
    return str(uuid_lib.uuid5(_NAMESPACE, "/".join(parts)))


def firm_account_uuid(user_key="primary"):
    """The firm account of a simulated user (benchmarks and the demo name it without asking)."""
    return _uuid(user_key, "account", "employee")


class PlannrUser:
    """One person at Plannr: their logins, their world, whether their tokens still work."""

    def __init__(self, key, world, *, firm_name, person="Sim Admin", preferred="top"):
        self.key = key
        self.world = world
        self.firm = {"uuid": _uuid(key, "firm"), "name": firm_name, "slug": key, "ip_whitelist": []}
        self.firm_account = {
            "uuid": firm_account_uuid(key), "type": "employee", "role": "admin",
            "name": person, "email": f"{key}@firm.example",
        }
        self.client_account = {
            "uuid": _uuid(key, "account", "client"), "type": "client", "role": "client",
            "name": f"{person} (client)", "email": f"{key}@client.example",
        }
        # Where /api/v1/logins puts preferred_account_uuid: "top", "login" or None (absent).
        self.preferred = preferred
        self.preferred_account_uuid = self.firm_account["uuid"]
        # Extra logins a test adds (e.g. a second firm): (account, firm) pairs.
        self.extra_logins = []
        self.revoked = False

    @property
    def account_uuid(self):
        return self.firm_account["uuid"]

    def logins(self):
        pairs = [(self.firm_account, self.firm), (self.client_account, self.firm), *self.extra_logins]
        data = []
        for account, firm in pairs:
            login = {
                "uuid": _uuid(self.key, "login", account["uuid"]),
                "expires_at": None,
                "account": dict(account),
                "firm": dict(firm),
            }
            if self.preferred == "login" and account["uuid"] == self.preferred_account_uuid:
                login["preferred_account_uuid"] = self.preferred_account_uuid
            data.append(login)
        body = {"data": data}
        if self.preferred == "top":
            body["preferred_account_uuid"] = self.preferred_account_uuid
        return body

    def world_for(self, account_uuid, empty_world):
        """The executions this account sees, or None when the user cannot act for it."""
        if account_uuid == self.firm_account["uuid"]:
            return self.world
        known = [self.client_account] + [account for account, _ in self.extra_logins]
        if any(account["uuid"] == account_uuid for account in known):
            return empty_world
        return None


class Tenancy:
    """Tokens to users: static personal tokens, and OAuth access and refresh tokens."""

    def __init__(self, *, oauth_clients=None, access_token_seconds=3600, clock=time.time):
        self.users = {}
        self._static = {}
        self._access = {}  # access token -> (user key, expires at)
        self._refresh = {}  # refresh token -> (user key, client id)
        self._codes = {}  # authorization code -> (user key, client id, redirect uri)
        self.expired_static = set()
        self.oauth_clients = dict(oauth_clients or {})
        self.access_token_seconds = access_token_seconds
        self.clock = clock
        self._lock = threading.Lock()

    def add_user(self, user, tokens=()):
        self.users[user.key] = user
        for token in tokens:
            self._static[token] = user.key

    def static_user(self, token):
        """The user of a personal token, whatever its state (the control API accepts it)."""
        key = self._static.get(token)
        return self.users.get(key) if key else None

    def api_user(self, token):
        """The user a token acts for on the API, or None (unknown, revoked, expired)."""
        with self._lock:
            if token in self._static:
                user = self.users[self._static[token]]
                return None if user.revoked or token in self.expired_static else user
            access = self._access.get(token)
            if access is None or access[1] <= self.clock():
                return None
            user = self.users[access[0]]
            return None if user.revoked else user

    def tokens_of(self, user):
        return [t for t, key in self._static.items() if key == user.key]

    # --- control ---------------------------------------------------------------------

    def revoke(self, user):
        user.revoked = True
        with self._lock:
            self._refresh = {t: v for t, v in self._refresh.items() if v[0] != user.key}

    def expire(self, user):
        """Personal tokens expire; OAuth access tokens end (their refresh tokens still work)."""
        with self._lock:
            self.expired_static.update(self.tokens_of(user))
            self._access = {t: v for t, v in self._access.items() if v[0] != user.key}

    def restore(self, user):
        user.revoked = False
        with self._lock:
            self.expired_static.difference_update(self.tokens_of(user))

    # --- OAuth2 (authorization code with refresh) ------------------------------------

    def authorize(self, client_id, redirect_uri, user):
        if client_id not in self.oauth_clients:
            return None
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = (user.key, client_id, redirect_uri)
        return code

    def grant(self, form):
        """(status, body) for POST /oauth/token."""
        client_id = form.get("client_id", "")
        if not client_id or self.oauth_clients.get(client_id) != form.get("client_secret"):
            return 401, {"error": "invalid_client", "message": "Client authentication failed"}
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                found = self._codes.pop(form.get("code", ""), None)
                if found is None or found[1] != client_id or found[2] != form.get("redirect_uri"):
                    return 400, _invalid_grant("The authorization code is invalid or was already used.")
                key = found[0]
            elif grant_type == "refresh_token":
                found = self._refresh.pop(form.get("refresh_token", ""), None)
                if found is None or found[1] != client_id:
                    return 400, _invalid_grant("The refresh token is invalid.")
                key = found[0]
            else:
                return 400, {"error": "unsupported_grant_type", "message": "The grant type is not supported."}
            if self.users[key].revoked:
                return 400, _invalid_grant("The refresh token is invalid.")
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            self._access[access] = (key, self.clock() + self.access_token_seconds)
            self._refresh[refresh] = (key, client_id)
        return 200, {
            "token_type": "Bearer", "expires_in": self.access_token_seconds,
            "access_token": access, "refresh_token": refresh,
        }


def _invalid_grant(text):
    return {"error": "invalid_grant", "error_description": text, "message": text}
