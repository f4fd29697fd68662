from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Prometheus metrics"

    def ready(self):
        # The Plannr client sits below metrics and cannot import it: metrics listens.
        import plannr.hooks

        from .recording import record_plannr_response

        plannr.hooks.on_response(record_plannr_response)
