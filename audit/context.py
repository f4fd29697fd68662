"""Who is acting and from which address, for the request being served.

Set by accounts.middleware.AccountsMiddleware, so that domain code (e.g.
executions.watching) can record audit rows without being handed the request.
"""

import contextvars
from dataclasses import dataclass

_current = contextvars.ContextVar("audit_request", default=None)


@dataclass(frozen=True)
class RequestInfo:
    request: object

    @property
    def ip(self):
        from allauth.account.adapter import get_adapter

        try:
            return get_adapter().get_client_ip(self.request)
        except Exception:  # a malformed header must not stop the request
            return self.request.META.get("REMOTE_ADDR")

    @property
    def user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


def begin(request):
    return _current.set(RequestInfo(request))


def end(token):
    _current.reset(token)


def current():
    return _current.get()
