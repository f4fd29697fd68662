from django.apps import AppConfig


class ExpectationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "expectations"
    verbose_name = "Expectations"
