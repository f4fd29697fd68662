"""Test-wide fixtures: one module per concern in tests/fixtures/, loaded as plugins.

The environment defaults for the run are in tests/environment.py.
"""

import pytest

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.users",
    "tests.fixtures.simulator",
    "tests.fixtures.workers",
    "tests.fixtures.smtp",
    "tests.fixtures.browser",
    "tests.fixtures.receiver",
]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # PBKDF2 costs ~0.4 s per user, and most tests create two or three users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_cache(settings):
    # Each test starts with an empty cache of its own: sign-in throttle counts and cached
    # watchlist counts must not leak between tests (tests/accounts use Redis on purpose).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"},
    }
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def forget_default_connection():
    # Each test's database starts again: the process must not remember another test's
    # `default` connection (connections/defaults.py keeps its id per process).
    from connections.defaults import forget

    forget()
    yield
    forget()
