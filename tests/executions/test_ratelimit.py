"""The per-token request budget: shared across processes through Redis."""

import threading

import pytest
import redis as redis_lib

from plannr.ratelimit import LocalRateLimiter, RedisRateLimiter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_local_limiter_allows_the_limit_then_says_how_long_to_wait():
    clock = FakeClock()
    limiter = LocalRateLimiter(3, window=60, clock=clock)
    assert [limiter.try_acquire("t") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_acquire("t") == pytest.approx(60.0)
    clock.now += 30
    assert limiter.try_acquire("t") == pytest.approx(30.0)
    clock.now += 30.001
    assert limiter.try_acquire("t") == 0.0
    assert limiter.used("t") == 1


def test_local_limiter_budgets_are_per_token():
    limiter = LocalRateLimiter(1, window=60, clock=FakeClock())
    assert limiter.try_acquire("a") == 0.0
    assert limiter.try_acquire("b") == 0.0
    assert limiter.try_acquire("a") > 0


def test_local_limiter_honours_retry_after():
    clock = FakeClock()
    limiter = LocalRateLimiter(100, window=60, clock=clock)
    limiter.observe("t", retry_after=7)
    assert limiter.blocked_for("t") == pytest.approx(7)
    assert limiter.try_acquire("t") == pytest.approx(7)
    clock.now += 7
    assert limiter.try_acquire("t") == 0.0


def _limiter(redis_url, limit):
    return RedisRateLimiter(redis_lib.Redis.from_url(redis_url), limit, prefix="test:rl")


def test_redis_budget_is_shared_by_every_limiter_on_the_token(redis_client, redis_url):
    # Two limiters with their own connections stand for two worker processes.
    first, second = _limiter(redis_url, 5), _limiter(redis_url, 5)
    taken = [first.try_acquire("tok") for _ in range(3)] + [second.try_acquire("tok") for _ in range(2)]
    assert taken == [0.0] * 5
    assert first.try_acquire("tok") > 0
    assert second.try_acquire("tok") > 0
    assert first.used("tok") == 5
    # Another token has its own budget.
    assert second.try_acquire("other") == 0.0


def test_redis_budget_holds_under_concurrent_acquires(redis_client, redis_url):
    limit, threads, attempts = 40, 8, 20
    granted = []
    lock = threading.Lock()

    def worker():
        limiter = _limiter(redis_url, limit)
        mine = sum(1 for _ in range(attempts) if limiter.try_acquire("tok") == 0.0)
        with lock:
            granted.append(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=30)
    assert sum(granted) == limit


def test_redis_retry_after_blocks_every_worker(redis_client, redis_url):
    first, second = _limiter(redis_url, 100), _limiter(redis_url, 100)
    first.observe("tok", remaining=0, retry_after=30)
    assert 29 < second.blocked_for("tok") <= 30
    assert second.try_acquire("tok") > 29
    assert first.used("tok") == 0


def test_a_request_waiting_for_the_budget_calls_back_while_it_waits():
    limiter = LocalRateLimiter(1, window=0.3)
    calls = []
    limiter.acquire("fp", while_waiting=lambda: calls.append(1))
    assert calls == []  # no wait, no call
    waited = limiter.acquire("fp", while_waiting=lambda: calls.append(1))
    assert waited > 0 and calls  # a batch renews its claim from this callback
