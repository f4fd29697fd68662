from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import receivers  # noqa: F401
        from .roles import ensure_roles

        # After auth's own handler has created the permissions (apps are in INSTALLED_APPS order).
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="accounts-ensure-roles")
