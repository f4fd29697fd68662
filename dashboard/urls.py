from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from metrics import views as metrics_views

from . import health

# The admin's login is the site's (throttled, with 2FA and SSO).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Password reset mails go as text and HTML (the default view sends text only).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
        ),
        name="password_reset",
    ),
    # Sign-in, 2FA and SSO are allauth's; the names `login` and `logout` stay, and password
    # reset and change stay Django's (the include below). See accounts/ and docs/architecture.md.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/profile/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("audit/", include("audit.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("monitors.urls")),
    path("incidents/", include("incidents.urls")),
    # The JSON API, its tokens page and the Prometheus metrics (issue 10).
    path("api/v1/", include("api.v1")),
    path("api-tokens/", include("api.urls")),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("channels/", include("channels.urls")),
    path("connections/", include("connections.urls")),
    path("", include("executions.urls")),
]
