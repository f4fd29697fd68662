from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from metrics import views as metrics_views

from . import health

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
    path("accounts/", include("django.contrib.auth.urls")),
    path("alerts/", include("alerts.urls")),
    # The JSON API, its tokens page and the Prometheus metrics (issue 10).
    path("api/v1/", include("api.v1")),
    path("api-tokens/", include("api.urls")),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("", include("executions.urls")),
]
