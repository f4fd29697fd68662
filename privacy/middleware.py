"""Pages for users without view_personal_data: the HTML's text redacted on its way out.

One choke point for every page and htmx partial, including the rows and steps the
fragment caches hold (they are shared between users, so they cannot be redacted
when they are rendered). Only text between tags is touched: attributes, scripts
and styles are the product's own markup.
"""

import re

from .access import may_see
from .redaction import _redactor

# Tags, and whole script/style elements, are kept as they are.
_MARKUP = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<[^>]*>)", re.IGNORECASE | re.DOTALL)


def redact_html(html):
    redact_one = _redactor()
    parts = _MARKUP.split(html)
    # split() with one group: even indexes are text, odd ones markup.
    return "".join(part if i % 2 else redact_one(part) for i, part in enumerate(parts))


# Pages that show no client data but do show strings that must stay whole (a new API
# token, TOTP secrets, channel and connection settings).
EXEMPT_NAMESPACES = frozenset({"api", "accounts", "admin", "channels", "connections", "privacy"})
EXEMPT_PREFIXES = ("account_", "mfa_", "socialaccount_", "openid_connect_", "usersessions_")


def _exempt(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if match.namespaces and match.namespaces[0] in EXEMPT_NAMESPACES:
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
        response.content = redact_html(response.content.decode(charset)).encode(charset)
        return response
