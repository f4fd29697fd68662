"""The watchlist's and execution pages' addresses. Their names keep the `executions:`
namespace every template, email and test links with (URL paths and names are a contract)."""

from django.urls import path

from . import execution, poll_health, views

app_name = "executions"

urlpatterns = [
    path("", views.watchlist, name="watchlist"),
    path("watches/rows/", views.watchlist_rows, name="watchlist_rows"),
    path("watches/add/", views.add_watches, name="add"),
    path("executions/<uuid:uuid>/", execution.execution_detail, name="detail"),
    path("executions/<uuid:uuid>/live/", execution.execution_live, name="live"),
    path("executions/<uuid:uuid>/poll/", execution.execution_poll, name="poll"),
    path("executions/<uuid:uuid>/label/", execution.execution_label, name="label"),
    path("executions/<uuid:uuid>/unwatch/", execution.execution_unwatch, name="unwatch"),
    path("executions/<uuid:uuid>/steps/<uuid:step_uuid>/info/", execution.step_info, name="step_info"),
    path("poll-health/", poll_health.poll_health, name="poll_health"),
    path("poll-health/live/", poll_health.poll_health_live, name="poll_health_live"),
    path("poll-health/retry/", poll_health.poll_health_retry, name="poll_health_retry"),
    path("executions/<uuid:uuid>/watch/", execution.execution_watch, name="watch"),
]
