from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The project package as an app: it only makes sure the Celery app exists."""

    name = "dashboard"

    def ready(self):
        from . import celery  # noqa: F401  (creates the app that @shared_task binds to)
