"""Test-wide fixtures: one module per concern in tests/fixtures/, loaded as plugins.

The environment defaults for the run are in tests/environment.py.
"""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.users",
    "tests.fixtures.simulator",
    "tests.fixtures.workers",
]
