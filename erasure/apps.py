from django.apps import AppConfig


class ErasureConfig(AppConfig):
    """A data subject's erasure request: overwrites one client's data in every app's tables,
    so it sits above them all (tests/imports.py)."""

    name = "erasure"
    verbose_name = "Erasure"
