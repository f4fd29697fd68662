from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from accounts import signals

        from . import tokens

        # The profile page counts, and "sign out everywhere" revokes, the user's tokens.
        signals.count_api_access.connect(tokens.live_count, dispatch_uid="api.live_count")
        signals.revoke_api_access.connect(tokens.revoke_all, dispatch_uid="api.revoke_all")
