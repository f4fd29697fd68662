import pytest

from api import tokens
from api.models import Scope


@pytest.fixture(autouse=True)
def empty_cache_and_budget(redis_client):
    # The watchlist caches counts per user id, and the API's rate limit counts per
    # token id in Redis; ids repeat across tests on SQLite.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def bearer(user, scope=Scope.WRITE, **kwargs):
    """Headers for the Django test client that authenticate as `user` with a new token."""
    _, raw = tokens.create_token(user, "test", scope, **kwargs)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def owner_api(client, owner):
    """Calls /api/v1/ as the owner, with a write token."""
    return ApiClient(client, bearer(owner))


@pytest.fixture
def other_api(client, other_user):
    return ApiClient(client, bearer(other_user))


class ApiClient:
    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def _url(self, path):
        return path if path.startswith("/") else f"/api/v1/{path}"

    def get(self, path, data=None):
        return self.client.get(self._url(path), data, **self.headers)

    def post(self, path, data):
        return self.client.post(self._url(path), data, content_type="application/json", **self.headers)

    def patch(self, path, data):
        return self.client.patch(self._url(path), data, content_type="application/json", **self.headers)

    def put(self, path, data):
        return self.client.put(self._url(path), data, content_type="application/json", **self.headers)

    def delete(self, path):
        return self.client.delete(self._url(path), **self.headers)


@pytest.fixture
def admin_api(client, admin):
    """Calls /api/v1/ as an Admin (manages monitors), with a write token."""
    return ApiClient(client, bearer(admin))


@pytest.fixture
def operator_api(client, operator):
    """Calls /api/v1/ as an Operator (triages incidents), with a write token."""
    return ApiClient(client, bearer(operator))
