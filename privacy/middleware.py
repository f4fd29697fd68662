"""Pages for users without view_personal_data: the HTML's text redacted on its way out.

One choke point for every page and htmx partial, including the rows and steps the
fragment caches hold (they are shared between users, so they cannot be redacted
when they are rendered). Only text is touched: between tags, and in the attributes
that show text (title, aria-label, alt, placeholder); links, scripts and styles are
the product's own markup.
"""

from .access import may_see
from .redaction import redact_html

# Pages that show no client data but do show strings that must stay whole (a new API
# token, TOTP secrets, channel and connection settings).
EXEMPT_NAMESPACES = frozenset({"api", "accounts", "admin", "channels", "connections", "privacy"})
EXEMPT_PREFIXES = ("account_", "mfa_", "socialaccount_", "openid_connect_", "usersessions_")
# The user's own alert settings (their address for alerts).
EXEMPT_NAMES = frozenset({"alerts:settings"})


def _exempt(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if match.namespaces and match.namespaces[0] in EXEMPT_NAMESPACES or match.view_name in EXEMPT_NAMES:
        return True
    return bool(match.url_name) and match.url_name.startswith(EXEMPT_PREFIXES)


class RedactPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(response, "streaming", False)
            or not response.get("Content-Type", "").startswith("text/html")
            or not getattr(request, "user", None)
            or not request.user.is_authenticated
            or may_see(request.user)
            or _exempt(request)
        ):
            return response
        charset = response.charset or "utf-8"
        # The user's own address is theirs to see, not a client's data.
        response.content = redact_html(response.content.decode(charset), keep=[request.user.email]).encode(charset)
        return response
