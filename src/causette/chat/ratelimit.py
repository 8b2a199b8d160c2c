"""Token buckets for the frame rate of a connection and the entry rate of an address."""

from __future__ import annotations

import time


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        t = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (t - self.stamp) * self.rate)
        self.stamp = t
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class KeyedLimiter:
    """One bucket per key (an IP address); idle full buckets are forgotten."""

    def __init__(self, per_minute: int, max_keys: int = 100_000, window_seconds: float = 60.0) -> None:
        """`per_minute` takes per `window_seconds` (a minute unless told otherwise)."""
        self._rate = per_minute / window_seconds
        self._burst = float(per_minute)
        self._buckets: dict[str, TokenBucket] = {}
        self._max_keys = max_keys

    def take(self, key: str) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self.prune()
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst)
        return bucket.take()

    def prune(self) -> None:
        now = time.monotonic()
        full_after = self._burst / self._rate if self._rate else 0
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full_after}
