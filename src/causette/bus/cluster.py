"""What the nodes of a cluster must agree on besides messages: who is entering under a name, how
many entries an address made lately, and who is online on which node.

`LocalCluster` serves one process (the chat service's own lock and buckets are enough there).
`RedisCluster` makes both cluster-wide on Redis:
- a name claim is `SET <prefix>:claim:<skeleton> <user> NX PX <ttl>`: it covers the moment
  between checking that no living session holds the name (in the shared database) and storing the
  new session, so two nodes cannot hand one name out together; afterwards the database's lease
  holds the name;
- the entry rate of an address (and any other rate of `take`) is a token bucket kept in one Redis
  hash per key and updated by a Lua script (atomic on Redis), with a TTL so idle buckets vanish;
- presence: every node beats every third of `node_ttl_ms`. A beat writes what changed in the
  node's own users (`<prefix>:node:<id>:users`, user id → public profile) and room counts
  (`<prefix>:node:<id>:rooms`, room → connected members), then stamps `<prefix>:nodes`
  (node id → "expiry ms by Redis' clock:version") and reads it back. A node re-reads another's
  users only when its version changed. A node whose expiry passed is dead: its entry is removed,
  and its users who are not online on a living node are reported gone, so every node tells its
  own sockets they went offline. A dead node's users thus leave every list within
  `node_ttl_ms` plus one beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# What a node tells the directory about itself at each beat: its users (id → public profile) and
# its connected members per room.
LocalUsers = Callable[[], dict[str, dict[str, Any]]]
LocalRooms = Callable[[], dict[str, int]]
Gone = Callable[[list[str]], None]


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


# Stamps this node in the nodes hash with Redis' clock (nodes on several machines need not agree on
# the time) and returns [now ms, the whole hash].
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], tostring(now + tonumber(ARGV[2])) .. ':' .. ARGV[3])
return {now, redis.call('HGETALL', KEYS[1])}
"""


class Cluster(Protocol):
    async def claim_name(self, skeleton: str, holder: str, ttl_ms: int) -> bool: ...

    async def release_name(self, skeleton: str, holder: str) -> None: ...

    async def take(self, bucket: str, key: str, per_window: int, window_s: float) -> bool | None:
        """A token from the cluster-wide bucket `bucket:key`; None: the node's own buckets decide."""
        ...

    async def start(self, ttl_ms: int, users: LocalUsers, rooms: LocalRooms, gone: Gone) -> None: ...

    def remote_users(self) -> Iterable[dict[str, Any]]:
        """Users online on the other living nodes (as of the last beat)."""
        ...

    def remote_members(self, room: str) -> int: ...

    def online_elsewhere(self, user_id: str) -> bool: ...

    async def close(self) -> None: ...


class LocalCluster:
    """One process: names being entered are claimed in memory; nothing else to agree on."""

    def __init__(self) -> None:
        self._claims: dict[str, str] = {}

    async def claim_name(self, skeleton: str, holder: str, ttl_ms: int) -> bool:
        if skeleton in self._claims:
            return False
        self._claims[skeleton] = holder
        return True

    async def release_name(self, skeleton: str, holder: str) -> None:
        if self._claims.get(skeleton) == holder:
            del self._claims[skeleton]

    async def take(self, bucket: str, key: str, per_window: int, window_s: float) -> bool | None:
        return None  # the node's own buckets decide

    async def start(self, ttl_ms: int, users: LocalUsers, rooms: LocalRooms, gone: Gone) -> None:
        return None

    def remote_users(self) -> Iterable[dict[str, Any]]:
        return ()

    def remote_members(self, room: str) -> int:
        return 0

    def online_elsewhere(self, user_id: str) -> bool:
        return False

    async def close(self) -> None:
        return None


@dataclass(slots=True)
class _Node:
    """Another node as the last beat saw it."""

    version: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    rooms: dict[str, int] = field(default_factory=dict)


class RedisCluster:
    def __init__(self, url: str, prefix: str = "causette") -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)
        self._release = self._redis.register_script(_RELEASE)
        self._beat = self._redis.register_script(_BEAT)
        self.node_id = secrets.token_hex(6)
        self._nodes_key = f"{prefix}:nodes"
        self._users_key = f"{prefix}:node:{self.node_id}:users"
        self._rooms_key = f"{prefix}:node:{self.node_id}:rooms"
        self._ttl_ms = 6000
        self._local_users: LocalUsers = dict
        self._local_rooms: LocalRooms = dict
        self._gone: Gone = lambda _ids: None
        # What this node wrote of itself, and its version (bumped with each change).
        self._written_users: set[str] = set()
        self._written_rooms: dict[str, int] = {}
        self._version = 0
        self._full = True  # rewrite everything at the next beat (first beat, or Redis lost it)
        # The other living nodes, and the union of their users.
        self._others: dict[str, _Node] = {}
        self._remote: dict[str, dict[str, Any]] = {}
        self._remote_rooms: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

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

    async def take(self, bucket: str, key: str, per_window: int, window_s: float) -> bool | None:
        name = f"{self._prefix}:{bucket}:{key}"
        try:
            taken = await self._take(keys=[name], args=[per_window, per_window / window_s, time.time()])
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc
        return bool(taken)

    # --- presence -------------------------------------------------------------------------------
    async def start(self, ttl_ms: int, users: LocalUsers, rooms: LocalRooms, gone: Gone) -> None:
        self._ttl_ms, self._local_users, self._local_rooms, self._gone = ttl_ms, users, rooms, gone
        with contextlib.suppress(RedisError, OSError):
            await self.beat()
        self._task = asyncio.get_running_loop().create_task(self._beat_forever(), name="cluster-beat")

    def remote_users(self) -> Iterable[dict[str, Any]]:
        return self._remote.values()

    def remote_members(self, room: str) -> int:
        return self._remote_rooms.get(room, 0)

    def online_elsewhere(self, user_id: str) -> bool:
        return user_id in self._remote

    async def _beat_forever(self) -> None:
        period = self._ttl_ms / 3000.0
        while True:
            await asyncio.sleep(period)
            try:
                await self.beat()
            except (RedisError, OSError) as exc:
                self._full = True  # what Redis holds of this node is unknown now
                log.warning("presence beat failed: %s", exc)
            except Exception:
                self._full = True
                log.exception("presence beat failed")

    async def beat(self) -> None:
        """Write this node's changes, stamp it alive, and read the others' changes."""
        await self._write_self()
        now, flat = await self._beat(
            keys=[self._nodes_key], args=[self.node_id, self._ttl_ms, f"{self._version}"]
        )
        stamps: dict[str, tuple[int, str]] = {}
        dead: list[str] = []
        for raw_node, raw_stamp in zip(flat[0::2], flat[1::2], strict=True):
            node = raw_node.decode()
            expiry, _, version = raw_stamp.decode().partition(":")
            if int(expiry) <= int(now):
                dead.append(node)
            elif node != self.node_id:
                stamps[node] = (int(expiry), version)
        await self._read_others(stamps)
        gone_users: set[str] = set()
        for node in [n for n in self._others if n not in stamps]:
            gone_users.update(self._others.pop(node).users)
        if dead:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.hdel(self._nodes_key, *dead)
        self._merge()
        local = self._local_users()
        gone = sorted(u for u in gone_users if u not in self._remote and u not in local)
        if gone:
            self._gone(gone)

    async def _write_self(self) -> None:
        users = self._local_users()
        rooms = self._local_rooms()
        ttl = 2 * self._ttl_ms
        if not self._full and self._written_users:
            # Redis restarted or forgot this node (a long stall): rewrite it whole.
            self._full = not await self._redis.exists(self._users_key)
        pipe = self._redis.pipeline(transaction=False)
        changed = False
        if self._full:
            pipe.delete(self._users_key, self._rooms_key)
            added, removed = set(users), set()
            self._written_rooms = {}
            changed = True
        else:
            current = set(users)
            added, removed = current - self._written_users, self._written_users - current
        if added:
            pipe.hset(self._users_key, mapping={u: orjson.dumps(users[u]) for u in added})
        if removed:
            pipe.hdel(self._users_key, *removed)
        if rooms != self._written_rooms:
            pipe.delete(self._rooms_key)
            if rooms:
                pipe.hset(self._rooms_key, mapping={r: n for r, n in rooms.items()})
        changed = changed or bool(added or removed) or rooms != self._written_rooms
        pipe.pexpire(self._users_key, ttl)
        pipe.pexpire(self._rooms_key, ttl)
        await pipe.execute()
        self._written_users = set(users)
        self._written_rooms = dict(rooms)
        self._full = False
        if changed:
            self._version += 1

    async def _read_others(self, stamps: dict[str, tuple[int, str]]) -> None:
        stale = [n for n, (_, v) in stamps.items() if n not in self._others or self._others[n].version != v]
        if not stale:
            return
        pipe = self._redis.pipeline(transaction=False)
        for node in stale:
            pipe.hgetall(f"{self._prefix}:node:{node}:users")
            pipe.hgetall(f"{self._prefix}:node:{node}:rooms")
        replies = await pipe.execute()
        for i, node in enumerate(stale):
            users, rooms = replies[2 * i], replies[2 * i + 1]
            self._others[node] = _Node(
                stamps[node][1],
                {k.decode(): orjson.loads(v) for k, v in users.items()},
                {k.decode(): int(v) for k, v in rooms.items()},
            )

    def _merge(self) -> None:
        remote: dict[str, dict[str, Any]] = {}
        rooms: dict[str, int] = {}
        for node in self._others.values():
            remote.update(node.users)
            for room, n in node.rooms.items():
                rooms[room] = rooms.get(room, 0) + n
        self._remote, self._remote_rooms = remote, rooms

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            # Leaving cleanly: the others see this node's users go at their next beat.
            with contextlib.suppress(RedisError, OSError):
                pipe = self._redis.pipeline(transaction=False)
                pipe.hdel(self._nodes_key, self.node_id)
                pipe.delete(self._users_key, self._rooms_key)
                await pipe.execute()
        await self._redis.aclose()
