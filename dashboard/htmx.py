"""The site's one htmx helper module: every app's pages and partials use it.

- `login_required`: Django's, except that an htmx request from an expired
  session redirects the whole page; a plain 302 would be followed by htmx and
  the login form swapped into a table.
- `fingerprint` / `unchanged`: a timed refresh sends the fingerprint of what it
  shows (`known`); when the data behind it is the same the answer is 204 and
  htmx swaps nothing.
- `refresh_context`: the refresh cadence every live region renders with.
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


def login_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            page = request.htmx.current_url_abs_path or reverse("executions:watchlist")
            return HttpResponseClientRedirect(f"{reverse(settings.LOGIN_URL)}?next={page}")
        return redirect_to_login(request.get_full_path())

    return wrapper


def fingerprint(*parts):
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def unchanged(request, fp):
    """The 204 to answer when the refresh already shows `fp`, else None."""
    if request.htmx and request.GET.get("known") == fp:
        return HttpResponse(status=204)
    return None


def refresh_context():
    return {
        "refresh_seconds": settings.UI_REFRESH_SECONDS,
        "hidden_refresh_seconds": settings.UI_HIDDEN_REFRESH_SECONDS,
    }
