"""Per-request account handling.

AccountsMiddleware: the audit context (who, from which address), the user's time
zone, the idle timeout, REQUIRE_2FA and `Cache-Control: private, no-store` on signed-in pages. RulesMiddleware: accounts/rules.py for every view.
"""

import logging
import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import patch_cache_control

from audit import context as audit_context
from ui.htmx import login_required

from . import rules

logger = logging.getLogger("accounts")

TIME_ZONE_KEY = "accounts.time_zone"
LAST_SEEN_KEY = "accounts.last_seen"
# Writing the session on every request would cost a write per 5 s refresh; a minute's
# precision is plenty for an hours-long idle timeout.
TOUCH_EVERY_SECONDS = 60

# Pages a user who must enrol in 2FA can still reach.
_ENROLMENT_ALLOWED = ("mfa_", "account_reauthenticate", "account_logout", "logout", "login")


def lacks_required_two_factor(user):
    """REQUIRE_2FA is on and `user` has no authenticator: pages send them to enrolment,
    the API refuses their tokens."""
    if not settings.REQUIRE_2FA:
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user=user).exists()


def session_time_zone(request):
    name = request.session.get(TIME_ZONE_KEY)
    if name is None:
        from .profiles import profile_for

        name = profile_for(request.user).time_zone
        request.session[TIME_ZONE_KEY] = name
    return name


def remember_time_zone(request, name):
    request.session[TIME_ZONE_KEY] = name


def touch_session(request):
    now = int(time.time())
    if now - request.session.get(LAST_SEEN_KEY, 0) >= TOUCH_EVERY_SECONDS:
        request.session[LAST_SEEN_KEY] = now


def _is_timed_refresh(request):
    # The pages' pollers send the fingerprint they show as `known`.
    return bool(getattr(request, "htmx", False)) and "known" in request.GET


class AccountsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit_context.begin(request)
        try:
            if request.user.is_authenticated:
                self._touch(request)
                try:
                    timezone.activate(zoneinfo.ZoneInfo(session_time_zone(request)))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
            response = self.get_response(request)
            if request.user.is_authenticated and response.get("Content-Type", "").startswith("text/html"):
                # A signed-in page shows that person's data: no shared cache keeps it, and
                # the browser does not keep it on disk for the Back button of the next user.
                patch_cache_control(response, private=True, no_store=True)
            return response
        finally:
            timezone.deactivate()
            audit_context.end(token)

    def _touch(self, request):
        # The session expires SESSION_COOKIE_AGE after it was last saved: saving it now
        # and then while the person is active makes that an idle timeout.
        if not _is_timed_refresh(request):
            touch_session(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not (settings.REQUIRE_2FA and request.user.is_authenticated):
            return None
        name = request.resolver_match.url_name or ""
        if name.startswith(_ENROLMENT_ALLOWED):
            return None
        if not lacks_required_two_factor(request.user):
            return None
        messages.warning(request, "Two-factor sign-in is required: set up an authenticator app to continue.")
        return redirect("mfa_activate_totp")


class RulesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        rule = rules.rule_for(match.view_name, match.namespace)
        if rule is None:
            logger.error("no access rule for URL %r: refused (add one to accounts/rules.py)", match.view_name)
            raise PermissionDenied
        if rules.allows(request.user, rule, request.method):
            return None
        if not request.user.is_authenticated:
            # The whole page goes to the login form, htmx requests included.
            return login_required(view_func)(request, *view_args, **view_kwargs)
        raise PermissionDenied
