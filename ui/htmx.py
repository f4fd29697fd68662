"""The site's one htmx helper module: every app's pages and partials use it.

- `login_required`: Django's, except that an htmx request from an expired
  session redirects the whole page; a plain 302 would be followed by htmx and
  the login form swapped into a table.
- `fingerprint` / `unchanged`: a timed refresh sends the fingerprint of what it
  shows (`known`); when the data behind it is the same the answer is 204 and
  htmx swaps nothing.
- `refresh_context`: the refresh cadence every live region renders with.
- `is_partial` / `push_url` / `VaryOnHtmx`: htmx history. A page whose fragment
  moves the address bar must answer the whole page when htmx restores history
  (Back with `historyCacheSize` 0 asks the server) and when the browser reloads
  that address; `Vary: HX-Request` keeps the browser's cache from handing a
  fragment to a full navigation (Back from another page).
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
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


def is_partial(request):
    """An htmx request for a fragment: not htmx restoring history, which wants the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def push_url(request, response, url):
    """Move the address bar to `url`, unless it is there already: one history entry
    per change the user made (a Filter click after a change pushes nothing more)."""
    if request.htmx.current_url_abs_path != url:
        response["HX-Push-Url"] = url
    return response


class VaryOnHtmx:
    """Middleware: an address answers a fragment or the whole page depending on
    HX-Request, so every answer says that it varies on it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
