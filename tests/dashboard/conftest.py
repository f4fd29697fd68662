import pytest


@pytest.fixture(autouse=True)
def empty_cache():
    # The watchlist caches counts per user id; ids repeat across tests on SQLite.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
