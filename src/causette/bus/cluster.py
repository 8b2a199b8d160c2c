"""What the nodes of a cluster must agree on besides messages: who is entering under a name, and
how many entries an address made lately.

`LocalCluster` serves one process (the chat service's own lock and buckets are enough there).
`RedisCluster` makes both cluster-wide on Redis:
- a name claim is `SET <prefix>:claim:<skeleton> <user> NX PX <ttl>`: it covers the moment
  between checking that no living session holds the name (in the shared database) and storing the
  new session, so two nodes cannot hand one name out together; afterwards the database's lease
  holds the name;
- the entry rate of an address is a token bucket kept in one Redis hash per address and updated by
  a Lua script (atomic on Redis), with a TTL so idle buckets vanish.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError


class ClusterUnavailable(Exception):
    """Redis could not answer: the caller refuses the entry ("unavailable") rather than guess."""


# Refills the bucket `KEYS[1]` (capacity ARGV[1] tokens, ARGV[2] tokens per second, now ARGV[3]
# in seconds) and takes a token if there is one: 1 if taken, 0 if not.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or capacity
local stamp = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return taken
"""


# Deletes the claim `KEYS[1]` only if `ARGV[1]` still holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Cluster(Protocol):
    async def claim_name(self, skeleton: str, holder: str, ttl_ms: int) -> bool: ...

    async def release_name(self, skeleton: str, holder: str) -> None: ...

    async def take_entry(self, address: str, per_minute: int) -> bool | None: ...

    async def close(self) -> None: ...


class LocalCluster:
    """One process: nothing to agree with anyone."""

    async def claim_name(self, skeleton: str, holder: str, ttl_ms: int) -> bool:
        return True

    async def release_name(self, skeleton: str, holder: str) -> None:
        return None

    async def take_entry(self, address: str, per_minute: int) -> bool | None:
        return None  # the node's own buckets decide

    async def close(self) -> None:
        return None


class RedisCluster:
    def __init__(self, url: str, prefix: str = "causette") -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)
        self._release = self._redis.register_script(_RELEASE)

    async def claim_name(self, skeleton: str, holder: str, ttl_ms: int) -> bool:
        key = f"{self._prefix}:claim:{skeleton}"
        try:
            return bool(await self._redis.set(key, holder, nx=True, px=ttl_ms))
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc

    async def release_name(self, skeleton: str, holder: str) -> None:
        """The entry is over: the database's lease (if the session was stored) holds the name."""
        try:
            await self._release(keys=[f"{self._prefix}:claim:{skeleton}"], args=[holder])
        except (RedisError, OSError):
            pass  # the claim expires by itself

    async def take_entry(self, address: str, per_minute: int) -> bool | None:
        key = f"{self._prefix}:entry:{address}"
        try:
            taken = await self._take(keys=[key], args=[per_minute, per_minute / 60.0, time.time()])
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        return bool(taken)

    async def close(self) -> None:
        await self._redis.aclose()
