"""Fixtures of the tests of pages and their tables: tests/dashboard and tests/ui share them."""

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
    from ui import execution, page, rows

    minute = page.minute_bucket()
    for module in (page, rows, execution):
        monkeypatch.setattr(module, "minute_bucket", lambda: minute)


class CacheLog:
    """What one cache alias was asked for (each read's keys) and given (each write), in order."""

    def __init__(self):
        self.reads, self.writes = [], []

    def keys_read(self):
        return [key for keys in self.reads for key in keys]


def spy_on_cache(monkeypatch, alias):
    from django.core.cache import caches

    cache, log = caches[alias], CacheLog()
    busy = []  # get_many and set_many of some backends call get and set: one entry each

    def spy(name, record):
        real = getattr(cache, name)

        def call(key, *args, **kwargs):
            if not busy:
                record(key, *args, **kwargs)
            busy.append(name)
            try:
                return real(key, *args, **kwargs)
            finally:
                busy.pop()

        monkeypatch.setattr(cache, name, call)

    spy("get", lambda key, *a, **k: log.reads.append([key]))
    spy("get_many", lambda keys, *a, **k: log.reads.append(list(keys)))
    spy("set", lambda key, value, *a, **k: log.writes.append({key: value}))
    spy("set_many", lambda data, *a, **k: log.writes.append(dict(data)))
    return log


@pytest.fixture
def fragments(monkeypatch):
    """Every read and write of the "fragments" cache (rows, steps, the table's chips, head, pager)."""
    return spy_on_cache(monkeypatch, "fragments")


@pytest.fixture
def shared_cache(monkeypatch):
    """Every read and write of the default cache (Redis in production)."""
    return spy_on_cache(monkeypatch, "default")
