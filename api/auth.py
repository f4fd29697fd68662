"""Who is calling: a personal token (`Authorization: Bearer ...`) or the browser's session.

Either way `request.user` is the person, and every resource filters by it exactly
as the pages do. A read-scoped token may only read; session requests carry CSRF.
"""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from accounts import rules
from accounts.middleware import lacks_required_two_factor

from . import tokens
from .errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def check_role(request, user):
    """The operation's rule (accounts.rules.API_RULES; none: refused), in the API's 403 shape."""
    rule = rules.api_rule(request.method, request.resolver_match.route)
    if rule is None or not rules.allows(user, rule, request.method):
        raise ApiError(403, "forbidden", "Your role does not allow this call.")


class TokenAuth(HttpBearer):
    def __call__(self, request):
        # ninja's own parsing logs the whole header under DEBUG when the scheme is not
        # Bearer, which could write a token to the log; this never logs it.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        now = timezone.now()
        found = tokens.find_token(token)
        if found is None or found.revoked_at is not None:
            raise ApiError(401, "invalid_token", "This API token is not valid (unknown or revoked).")
        if not found.is_usable(now):
            raise ApiError(401, "token_expired", "This API token has expired: create a new one.")
        if lacks_required_two_factor(found.user):
            raise ApiError(
                401, "two_factor_required",
                "Two-factor sign-in is required: this token's owner must set it up (Account page) "
                "before the token can be used.",
            )
        if request.method not in SAFE_METHODS and not found.can_write:
            raise ApiError(
                403, "insufficient_scope", "This token is read-only: this call needs a write token."
            )
        check_role(request, found.user)
        tokens.mark_used(found, now)
        request.user = found.user
        return found


class BrowserSessionAuth(SessionAuth):
    """Django's session cookie; ninja checks CSRF on unsafe methods for it."""

    def __call__(self, request):
        # No signed-in session: this is no session request, so no CSRF to check. A script
        # without credentials gets the documented 401, not 403 csrf_failed.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            check_role(request, user)
        return user


def api_auth():
    return [TokenAuth(), BrowserSessionAuth()]
