import pytest


@pytest.fixture(autouse=True)
def empty_cache():
    # The watchlist caches counts per user id; ids repeat across tests on SQLite.
    from django.core.cache import caches

    for alias in ("default", "fragments"):
        caches[alias].clear()
    yield
    for alias in ("default", "fragments"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def same_minute(monkeypatch):
    # Fingerprints hold the minute, so that relative times re-render at least once a
    # minute: a test comparing two requests across a minute's turn would see a change.
    from executions import rows, views, watchlist

    minute = watchlist.minute_bucket()
    for module in (watchlist, rows, views):
        monkeypatch.setattr(module, "minute_bucket", lambda: minute)
