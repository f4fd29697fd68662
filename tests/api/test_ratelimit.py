"""The per-token rate limit: 429 with Retry-After, counted per token in Redis."""

import pytest

from api import ratelimit
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_past_the_limit_a_token_gets_429_with_retry_after(client, owner, settings, redis_client):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    headers = bearer(owner)
    assert [client.get("/api/v1/watches", **headers).status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/watches", **headers)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token (even the same user's) has its own budget.
    assert client.get("/api/v1/watches", **bearer(owner)).status_code == 200
    # The count lives in Redis, shared by every web process.
    assert any(key.startswith(b"api:ratelimit:token:") for key in redis_client.keys("api:ratelimit:*"))


def test_the_window_ends_and_the_budget_comes_back(redis_client, settings):
    start = 1_800_000_000 // 60 * 60
    assert ratelimit.hit("t", 1, now=start + 1) == 0
    assert ratelimit.hit("t", 1, now=start + 50) == 10
    assert ratelimit.hit("t", 1, now=start + 61) == 0


def test_without_redis_each_process_counts_alone(settings):
    settings.REDIS_URL = ""
    start = 1_900_000_020 // 60 * 60
    assert ratelimit.hit("local", 1, now=start) == 0
    assert ratelimit.hit("local", 1, now=start + 1) == 59
