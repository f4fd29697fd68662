from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitors"
    verbose_name = "Monitors"

    def ready(self):
        from incidents import scopes

        from .models import Monitor

        scopes.register_monitors(lambda: Monitor.objects.order_by("name", "pk").values_list("pk", "name"))
