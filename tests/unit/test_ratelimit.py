"""Token buckets: the per-connection frame rate and the per-address entry rate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from causette.chat import ratelimit
from causette.chat.ratelimit import KeyedLimiter, TokenBucket


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    # Only this module's view of `time` is replaced: the event loop keeps the real clock.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(monotonic=fake))
    return fake


def bucket_at(rate: float, burst: float, start: float = 0.0) -> TokenBucket:
    bucket = TokenBucket(rate, burst)
    bucket.stamp = start
    return bucket


def takes(bucket: TokenBucket, count: int, now: float) -> list[bool]:
    return [bucket.take(now) for _ in range(count)]


# --- TokenBucket ------------------------------------------------------------------------------------


def test_new_bucket_is_full() -> None:
    bucket = TokenBucket(10.0, 30)
    assert bucket.tokens == 30


def test_bucket_allows_its_burst_then_refuses() -> None:
    bucket = bucket_at(10.0, 30)
    assert takes(bucket, 30, 0.0) == [True] * 30
    assert bucket.take(0.0) is False
    assert bucket.take(0.0) is False


def test_bucket_refills_at_its_rate() -> None:
    bucket = bucket_at(10.0, 30)
    takes(bucket, 30, 0.0)
    assert bucket.take(0.05) is False  # half a token
    assert bucket.take(0.1) is True  # one token after 0.1 s at 10/s
    assert bucket.take(0.1) is False
    assert takes(bucket, 5, 0.6) == [True] * 5
    assert bucket.take(0.6) is False


def test_bucket_never_saves_more_than_its_burst() -> None:
    bucket = bucket_at(10.0, 30)
    takes(bucket, 30, 0.0)
    assert takes(bucket, 31, 3600.0) == [True] * 30 + [False]


def test_refused_take_costs_nothing() -> None:
    bucket = bucket_at(1.0, 1)
    assert bucket.take(0.0) is True
    assert takes(bucket, 100, 0.5) == [False] * 100
    assert bucket.take(1.0) is True


def test_steady_rate_at_the_limit_is_never_refused() -> None:
    bucket = bucket_at(8.0, 1)  # 1/8 s is exact in binary: no rounding in the arithmetic
    assert all(bucket.take(i * 0.125) for i in range(1000))


def test_steady_rate_above_the_limit_is_refused_once_the_burst_is_spent() -> None:
    bucket = bucket_at(1.0, 5)
    results = [bucket.take(i * 0.5) for i in range(40)]  # 2 per second against 1 per second
    assert results[:5] == [True] * 5
    assert 18 <= results.count(True) <= 26  # burst + ~1 per second over 19.5 s


def test_fractional_rate_refills_over_several_seconds() -> None:
    bucket = bucket_at(0.5, 1)  # the entry limit of 30 per minute is 0.5 per second
    assert bucket.take(0.0) is True
    assert bucket.take(1.9) is False
    assert bucket.take(2.0) is True


def test_bucket_with_zero_burst_refuses_everything() -> None:
    bucket = bucket_at(10.0, 0)
    assert takes(bucket, 3, 100.0) == [False] * 3


def test_bucket_without_explicit_now_uses_the_monotonic_clock(clock: Clock) -> None:
    bucket = TokenBucket(1.0, 2)
    assert bucket.stamp == clock.now
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
    clock.now += 1.0
    assert bucket.take() is True


# --- KeyedLimiter ------------------------------------------------------------------------------------


def test_keyed_limiter_allows_per_minute_entries_then_refuses(clock: Clock) -> None:
    limiter = KeyedLimiter(30)
    assert [limiter.take("192.0.2.1") for _ in range(30)] == [True] * 30
    assert limiter.take("192.0.2.1") is False


def test_keyed_limiter_keys_are_independent(clock: Clock) -> None:
    limiter = KeyedLimiter(2)
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a")] == [True, True, False]
    assert [limiter.take("b"), limiter.take("b")] == [True, True]
    assert limiter.take("2001:db8::1") is True


def test_keyed_limiter_refills_per_minute(clock: Clock) -> None:
    limiter = KeyedLimiter(30)
    for _ in range(30):
        limiter.take("a")
    assert limiter.take("a") is False
    clock.now += 1.9
    assert limiter.take("a") is False
    clock.now += 0.1  # 2 s at 30 per minute is one entry
    assert limiter.take("a") is True
    assert limiter.take("a") is False
    clock.now += 60.0
    assert [limiter.take("a") for _ in range(31)] == [True] * 30 + [False]


def test_prune_forgets_idle_full_buckets_only(clock: Clock) -> None:
    limiter = KeyedLimiter(60)
    limiter.take("old")
    clock.now += 61.0
    limiter.take("recent")
    limiter.prune()
    assert set(limiter._buckets) == {"recent"}


def test_forgotten_key_starts_again_with_a_full_bucket(clock: Clock) -> None:
    limiter = KeyedLimiter(3)
    assert [limiter.take("a") for _ in range(4)] == [True, True, True, False]
    clock.now += 61.0
    limiter.prune()
    assert [limiter.take("a") for _ in range(4)] == [True, True, True, False]


def test_prune_runs_when_the_key_table_is_full(clock: Clock) -> None:
    limiter = KeyedLimiter(60, max_keys=3)
    for key in ("a", "b", "c"):
        limiter.take(key)
    clock.now += 61.0
    limiter.take("d")
    assert set(limiter._buckets) == {"d"}


def test_prune_keeps_a_recently_limited_key_so_it_stays_limited(clock: Clock) -> None:
    limiter = KeyedLimiter(2, max_keys=1)
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a")] == [True, True, False]
    limiter.take("b")  # the table is full: prune runs, "a" is not idle
    assert limiter.take("a") is False
