from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Personal data"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import rules

        rules.connect_invalidation()
