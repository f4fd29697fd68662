from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path
from django.views.generic import RedirectView

from metrics import views as metrics_views

from . import health

# Bad input on a page answers 400 with what was wrong (dashboard/errors.py).
handler400 = "dashboard.errors.bad_request"

# The admin's login is the site's (throttled, with 2FA and SSO).
admin.site.login = secure_admin_login(admin.site.login)
# One password flow, allauth's (throttled, audited): the admin's own "change password" too.
admin.site.password_change = lambda request, extra_context=None: redirect("account_change_password")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Sign-in, 2FA, SSO and the password pages are allauth's; the names `login` and `logout`
    # stay. Django's own password pages are gone: their old addresses lead to allauth's.
    path("accounts/password_reset/", RedirectView.as_view(pattern_name="account_reset_password"),
         name="password_reset"),
    path("accounts/password_change/", RedirectView.as_view(pattern_name="account_change_password"),
         name="password_change"),
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/profile/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("audit/", include("audit.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("monitors.urls")),
    path("incidents/", include("incidents.urls")),
    path("reports/", include("reports.urls")),
    path("", include("expectations.urls")),
    # The JSON API, its tokens page and the Prometheus metrics (issue 10).
    path("api/v1/", include("api.v1")),
    path("api-tokens/", include("api.urls")),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("channels/", include("channels.urls")),
    path("routing/", include("routing.urls")),
    path("connections/", include("connections.urls")),
    path("privacy/", include("privacy.urls")),
    path("", include("ui.urls")),
]
