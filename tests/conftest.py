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
