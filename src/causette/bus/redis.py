"""The cluster bus: fan-out between nodes over Redis pub/sub.

Channels. One Redis channel per conversation (`<prefix>:c:<conv>`), one per user
(`<prefix>:u:<user id>`, for that session's control envelopes and personal frames) and one global
`<prefix>:presence`. A node SUBSCRIBEs only to the channels it has sockets for: the hub declares
them with `interest(channel)` / `disinterest(channel)` (reference-counted), so a message reaches
the nodes that hold a member of its conversation and no other. Redis does the routing; a node
never receives, decodes and throws away traffic for rooms it does not serve. A sharded scheme
(N channels, each node on all of them) would cost every node the decode of every message in the
cluster; per-conversation channels cost only SUBSCRIBE/UNSUBSCRIBE commands as rooms gain their
first and lose their last local member, which are rare next to messages. Presence is subscribed
by every node for as long as the bus runs (every ready socket gets it).

One ordered path. A node's own publications are not delivered to its hub directly: they go to
Redis and come back like everyone else's. Redis runs commands one at a time, so all subscribers
see the PUBLISHes in one global order; a node's envelopes leave on one connection, in publication
order; its subscriptions arrive on one connection, in Redis order. So every node sees the same
interleaving of everyone's envelopes, its own included, and a publisher's order holds across
channels too (a "join" control on a user channel stays ahead of the room's next message).
Delivering local publications directly would let a node see its own envelope before a remote one
that Redis ordered first, while other nodes see the reverse. The price is one round trip to Redis
(~0.1 ms on a LAN) and, while Redis is unreachable, no live delivery even between sockets of one
node; messages are durable in the database and clients resume by seq.

Envelopes travel as a small binary header followed by the payload bytes, unchanged (the frame is
encoded once by the publisher, never re-encoded)::

    u8 version | u8 flags (bit 0: echo) | 8 bytes origin | u64 counter | u64 seq
    | u16 len(sender) | u8 len(control) | u16 len(arg) | sender | control | arg | payload

The channel is not repeated: it is the Redis channel. `origin` is random per bus instance and
`counter` rises by one per publication: after a failed write the writer sends its batch again
(at-least-once), and a receiver drops any envelope whose counter is not above the last one seen
from that origin, so a retry never delivers twice and never reorders.

Publishing is synchronous for the caller: `publish()` encodes, queues and returns. One writer
task sends what is queued in pipelines of up to `BATCH_MAX` PUBLISH commands (one round trip per
batch), in order. While Redis is unreachable the queue keeps at most `queue_limit` envelopes; past
that the oldest are dropped with a loud warning.

Receiving: one task reads the subscriber connection and calls the handler on the event loop, in
arrival order, decoding each envelope once. When idle for `health_interval` seconds it sends a
PING; without an answer within another interval the connection counts as dead. On any failure the
bus opens a new connection with exponential backoff (`BACKOFF_MIN` to `BACKOFF_MAX`),
re-subscribes every channel of interest, logs, and calls the resync handler: pub/sub is
at-most-once, so envelopes published while this node was not subscribed are lost to it and its
sockets must catch up from the store (see `set_resync_handler`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from causette.bus.base import PRESENCE, Envelope, Handler

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "causette"
# Envelopes kept while Redis is unreachable. At a few hundred bytes each, 100,000 is some tens of
# MB: minutes of a busy node's traffic, enough to ride out a Redis restart without a drop.
DEFAULT_QUEUE_LIMIT = 100_000
# PUBLISH commands per pipeline: large enough to amortise the round trip under load, small
# enough that a retried batch (after a write failure) stays cheap.
BATCH_MAX = 512
# Seconds of silence on the subscriber connection before a PING; as long again without any reply
# and the connection is declared dead. TCP keepalive alone takes minutes to notice a lost peer.
DEFAULT_HEALTH_INTERVAL = 5.0
# Reconnection backoff, doubling from the first to the second (seconds).
BACKOFF_MIN = 0.05
BACKOFF_MAX = 5.0
# How long `start()` waits for the first subscription before it gives up, and `stop()` for the
# queue to be flushed (seconds).
START_TIMEOUT = 10.0
STOP_FLUSH_TIMEOUT = 2.0
# Loud warnings (dropped envelopes, undecodable messages) at most this often (seconds).
WARN_EVERY = 5.0
# Origins remembered for de-duplication: one per bus instance that ever published (node restarts
# make new ones); the oldest are forgotten past this.
MAX_ORIGINS = 4096

_VERSION = 1
_FLAG_ECHO = 1
_HEADER = struct.Struct("!BB8sQQHBH")
_MAX_U8 = 0xFF
_MAX_U16 = 0xFFFF

ResyncHandler = Callable[[frozenset[str]], None]
# Errors that mean "the connection is gone": redis-py raises its own, the socket layer OSError.
_CONNECTION_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


class BusUnavailable(ConnectionError):
    """Redis could not be reached when the bus started."""


def encode(envelope: Envelope, origin: bytes, counter: int) -> bytes:
    sender = envelope.sender.encode()
    control = envelope.control.encode()
    arg = envelope.arg.encode()
    if len(sender) > _MAX_U16 or len(control) > _MAX_U8 or len(arg) > _MAX_U16:
        raise ValueError("envelope sender/arg over 65,535 bytes or control over 255 bytes")
    header = _HEADER.pack(
        _VERSION,
        _FLAG_ECHO if envelope.echo else 0,
        origin,
        counter,
        envelope.seq,
        len(sender),
        len(control),
        len(arg),
    )
    return b"".join((header, sender, control, arg, envelope.payload))


def decode(channel: str, body: bytes) -> tuple[bytes, int, Envelope]:
    """(origin, counter, envelope) of a message body; ValueError if it is not one of ours."""
    try:
        version, flags, origin, counter, seq, n_sender, n_control, n_arg = _HEADER.unpack_from(body)
    except struct.error as exc:
        raise ValueError("short envelope") from exc
    if version != _VERSION:
        raise ValueError(f"envelope version {version}")
    start = _HEADER.size
    end_sender = start + n_sender
    end_control = end_sender + n_control
    end_arg = end_control + n_arg
    if end_arg > len(body):
        raise ValueError("truncated envelope")
    env = Envelope(
        channel,
        body[end_arg:],
        sender=body[start:end_sender].decode(),
        seq=seq,
        echo=bool(flags & _FLAG_ECHO),
        control=body[end_sender:end_control].decode(),
        arg=body[end_control:end_arg].decode(),
    )
    return origin, counter, env


def _default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class RedisBus:
    """The Bus of a cluster node. See the module docstring for the design.

    `interest(channel)` returns a future that completes once Redis has confirmed the
    subscription: a caller that reads history from the store before relying on live delivery
    (a join) awaits it first, so that no message falls between the two.
    """

    def __init__(
        self,
        url: str,
        node_id: str | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        queue_limit: int = DEFAULT_QUEUE_LIMIT,
        health_interval: float = DEFAULT_HEALTH_INTERVAL,
    ) -> None:
        if queue_limit < 1:
            raise ValueError("queue_limit must be at least 1")
        self.url = url
        self.node_id = node_id or _default_node_id()
        self.prefix = prefix
        self.queue_limit = queue_limit
        self.health_interval = health_interval
        self._c = f"{prefix}:c:".encode()
        self._u = f"{prefix}:u:".encode()
        self._presence = f"{prefix}:presence".encode()
        self._origin = os.urandom(8)
        self._counter = 0
        self._handler: Handler | None = None
        self._resync: ResyncHandler | None = None
        # Interest: local channel name → reference count; Redis channel → local name, for exactly
        # the channels of interest (a message on any other is dropped on arrival).
        self._refs: dict[str, int] = {PRESENCE: 1}
        self._names: dict[bytes, str] = {self._presence: PRESENCE}
        # Subscription state on the current subscriber connection.
        self._requested: set[bytes] = set()  # SUBSCRIBE sent, no UNSUBSCRIBE since
        self._outstanding: dict[bytes, int] = {}  # (UN)SUBSCRIBE commands not yet confirmed
        self._live: set[bytes] = set()  # confirmed subscribed, nothing outstanding
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._initial: set[bytes] = set()  # first subscriptions of a connection, unconfirmed
        self._reconnected = False
        self._changes = asyncio.Event()
        self._rx = 0  # replies read on the subscriber connection, for the health check
        # De-duplication: origin → last counter delivered.
        self._last_counter: dict[bytes, int] = {}
        # Publication queue: (Redis channel, body).
        self._queue: deque[tuple[bytes, bytes]] = deque()
        self._inflight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # nothing queued, nothing in flight
        self._idle.set()
        self.dropped = 0
        self._last_drop_warning = -WARN_EVERY
        self._last_decode_warning = -WARN_EVERY
        self._up = asyncio.Event()
        self._pub: aioredis.Redis | None = None
        self._sub: aioredis.Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False

    # --- Bus protocol --------------------------------------------------------------------------
    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    def set_resync_handler(self, handler: ResyncHandler) -> None:
        """Called after a reconnection, once every channel of interest is subscribed again, with
        their local names. Envelopes published on them while the subscriber was down are lost to
        this node: the chat layer catches its sockets up from the store (or closes them so that
        they resume by seq)."""
        self._resync = handler

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        name = re.sub(r"[^A-Za-z0-9_.:-]", "_", f"causette-bus:{self.node_id}")
        # No retries inside redis-py: the bus retries itself, so that it knows about (and logs)
        # every reconnection and re-subscribes explicitly.
        no_retry = Retry(NoBackoff(), 0)
        self._pub = aioredis.Redis.from_url(self.url, retry=no_retry, client_name=name + ":pub", protocol=2)
        self._sub = aioredis.Redis.from_url(self.url, retry=no_retry, client_name=name + ":sub", protocol=2)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._subscriber(), name="redis-bus-subscriber"),
            loop.create_task(self._writer(), name="redis-bus-writer"),
        ]
        try:
            await asyncio.wait_for(self._up.wait(), START_TIMEOUT)
        except TimeoutError:
            await self.stop()
            raise BusUnavailable(f"Redis at {self.url} not reachable within {START_TIMEOUT:.0f} s") from None
        log.info("redis bus: node %s subscribed on %s", self.node_id, self.url)

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        # Give what is queued a moment to leave, if Redis is there to take it.
        if self._up.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), STOP_FLUSH_TIMEOUT)
        if self._queue or self._inflight:
            log.warning("redis bus: stopping with %d envelopes unsent", len(self._queue) + self._inflight)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for client in (self._pub, self._sub):
            if client is not None:
                await client.aclose()
        self._pub = self._sub = None
        for waiters in self._waiters.values():
            for fut in waiters:
                fut.cancel()
        self._waiters.clear()
        self._up.clear()

    def publish(self, envelope: Envelope) -> None:
        self._counter += 1
        body = encode(envelope, self._origin, self._counter)
        queue = self._queue
        queue.append((self._redis_channel(envelope.channel), body))
        if len(queue) > self.queue_limit:
            queue.popleft()
            self.dropped += 1
            self._warn_drop()
        self._idle.clear()
        self._wake.set()

    # --- interest ------------------------------------------------------------------------------
    def interest(self, channel: str) -> asyncio.Future[None]:
        """One more local reason to receive `channel`; the first one subscribes.

        The future completes when the subscription is confirmed by Redis (at once if it already
        is). It is never failed; it is cancelled by `stop()`.
        """
        refs = self._refs.get(channel, 0)
        self._refs[channel] = refs + 1
        if refs == 0:
            self._names[self._redis_channel(channel)] = channel
            self._changes.set()
        return self.ready(channel)

    def ready(self, channel: str) -> asyncio.Future[None]:
        """A future that completes once `channel` is subscribed (at once if it is already);
        for a caller that did not declare the interest itself, such as a join after the hub's
        `interest`. Never failed; cancelled by `stop()`."""
        rchan = self._redis_channel(channel)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if rchan in self._live and rchan in self._requested and rchan in self._names:
            fut.set_result(None)
        else:
            self._waiters.setdefault(rchan, []).append(fut)
        return fut

    def disinterest(self, channel: str) -> None:
        """One less; the last one unsubscribes, and delivery on `channel` stops at once."""
        refs = self._refs.get(channel, 0)
        if refs <= 0:
            log.warning("redis bus: disinterest in %r without interest", channel)
            return
        if refs > 1:
            self._refs[channel] = refs - 1
            return
        del self._refs[channel]
        del self._names[self._redis_channel(channel)]
        self._changes.set()

    def interested(self, channel: str) -> bool:
        return channel in self._refs

    # --- channels ------------------------------------------------------------------------------
    def _redis_channel(self, channel: str) -> bytes:
        if channel.startswith("u:"):
            return self._u + channel[2:].encode()
        if channel == PRESENCE:
            return self._presence
        return self._c + channel.encode()

    # --- receiving -----------------------------------------------------------------------------
    def _receive(self, rchan: bytes, body: bytes) -> None:
        channel = self._names.get(rchan)
        if channel is None:  # unsubscribed locally, UNSUBSCRIBE not yet effective
            return
        try:
            origin, counter, env = decode(channel, body)
        except (ValueError, UnicodeDecodeError) as exc:
            self._warn_decode(rchan, exc)
            return
        last = self._last_counter.get(origin)
        if last is not None and counter <= last:
            return  # a batch sent again after a write failure
        if last is None and len(self._last_counter) >= MAX_ORIGINS:
            del self._last_counter[next(iter(self._last_counter))]
        self._last_counter[origin] = counter
        handler = self._handler
        if handler is None:
            return
        try:
            handler(env)
        except Exception:
            log.exception("redis bus: handler failed on %s envelope", channel)

    def _confirmed(self, rchan: bytes, subscribed: bool) -> None:
        left = self._outstanding.get(rchan, 0) - 1
        if left > 0:
            self._outstanding[rchan] = left
        else:
            self._outstanding.pop(rchan, None)
            if subscribed:
                self._live.add(rchan)
                for fut in self._waiters.pop(rchan, ()):
                    if not fut.done():
                        fut.set_result(None)
            else:
                self._live.discard(rchan)
        # Any answer about a channel of the connection's first SUBSCRIBE settles it (it may have
        # been unsubscribed since).
        if rchan in self._initial:
            self._initial.discard(rchan)
            if not self._initial:
                self._connection_ready()

    def _connection_ready(self) -> None:
        self._up.set()
        if not self._reconnected:
            return
        channels = frozenset(self._refs)
        log.warning("redis bus: node %s re-subscribed to %d channels", self.node_id, len(channels))
        if self._resync is not None:
            try:
                self._resync(channels)
            except Exception:
                log.exception("redis bus: resync handler failed")

    async def _subscriber(self) -> None:
        """Keep one subscriber connection alive, with every channel of interest subscribed."""
        assert self._sub is not None
        backoff = BACKOFF_MIN
        outage = False
        while True:
            pubsub = self._sub.pubsub()
            try:
                channels = list(self._names)
                self._requested = set(channels)
                self._outstanding = dict.fromkeys(channels, 1)
                self._live.clear()
                self._initial = set(channels)
                self._changes.clear()
                # Sent with execute_command, not subscribe(): redis-py would otherwise replay its
                # own record of channels on a reconnection behind our back.
                await pubsub.execute_command("SUBSCRIBE", *channels)
                tasks = (
                    asyncio.create_task(self._read(pubsub), name="redis-bus-read"),
                    asyncio.create_task(self._sync(pubsub), name="redis-bus-sync"),
                    asyncio.create_task(self._health(pubsub), name="redis-bus-health"),
                )
                try:
                    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in tasks:
                        task.cancel()
                    for task in tasks:
                        with contextlib.suppress(asyncio.CancelledError, *_CONNECTION_ERRORS):
                            await task
                for task in done:
                    exc = task.exception()
                    if exc is not None:
                        raise exc
            except _CONNECTION_ERRORS as exc:
                if self._up.is_set() or not outage:
                    log.warning(
                        "redis bus: node %s lost its subscriber connection (%s); reconnecting",
                        self.node_id,
                        exc or type(exc).__name__,
                    )
            finally:
                with contextlib.suppress(*_CONNECTION_ERRORS):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # untyped in redis-py
            if self._up.is_set():
                # It was up: what follows is a reconnection, after a gap.
                self._reconnected = True
                backoff = BACKOFF_MIN
            outage = True
            self._up.clear()
            self._initial = set()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _read(self, pubsub: PubSub) -> None:
        # A blocking read: no timeout to arm per message; `_health` watches for silence.
        while True:
            msg: dict[str, Any] | None = await pubsub.get_message(timeout=None)
            if msg is None:
                continue
            self._rx += 1
            kind = msg["type"]
            if kind == "message":
                self._receive(msg["channel"], msg["data"])
            elif kind == "subscribe":
                self._confirmed(msg["channel"], True)
            elif kind == "unsubscribe":
                self._confirmed(msg["channel"], False)

    async def _health(self, pubsub: PubSub) -> None:
        """PING after an interval of silence; a second silent interval means a dead connection."""
        interval = self.health_interval
        seen = self._rx
        pinged = False
        while True:
            await asyncio.sleep(interval)
            if self._rx != seen:
                seen, pinged = self._rx, False
                continue
            if pinged:
                raise ConnectionError(f"no reply to PING within {interval:.1f} s")
            await pubsub.ping()
            pinged = True

    async def _sync(self, pubsub: PubSub) -> None:
        """Bring the connection's subscriptions in line with the channels of interest."""
        while True:
            await self._changes.wait()
            self._changes.clear()
            wanted = self._names
            add = [c for c in wanted if c not in self._requested]
            remove = [c for c in self._requested if c not in wanted]
            for rchan in add:
                self._requested.add(rchan)
                self._outstanding[rchan] = self._outstanding.get(rchan, 0) + 1
                self._live.discard(rchan)
            for rchan in remove:
                self._requested.discard(rchan)
                self._outstanding[rchan] = self._outstanding.get(rchan, 0) + 1
                self._live.discard(rchan)
            if add:
                await pubsub.execute_command("SUBSCRIBE", *add)
            if remove:
                await pubsub.execute_command("UNSUBSCRIBE", *remove)

    # --- publishing ----------------------------------------------------------------------------
    async def _writer(self) -> None:
        assert self._pub is not None
        client = self._pub
        queue = self._queue
        batch: list[tuple[bytes, bytes]] = []
        backoff = BACKOFF_MIN
        down = False
        while True:
            if not batch:
                while not queue:
                    self._wake.clear()
                    await self._wake.wait()
                batch = [queue.popleft() for _ in range(min(len(queue), BATCH_MAX))]
                self._inflight = len(batch)
            try:
                pipe = client.pipeline(transaction=False)
                for rchan, body in batch:
                    pipe.execute_command("PUBLISH", rchan, body)
                await pipe.execute()
            except _CONNECTION_ERRORS as exc:
                if not down:
                    log.warning(
                        "redis bus: node %s cannot publish (%s); queueing up to %d envelopes",
                        self.node_id,
                        exc or type(exc).__name__,
                        self.queue_limit,
                    )
                    down = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue  # the same batch again: receivers drop what already went through
            batch = []
            self._inflight = 0
            if not queue:
                self._idle.set()
            if down:
                log.warning(
                    "redis bus: node %s publishing again (%d dropped so far)", self.node_id, self.dropped
                )
                down = False
                backoff = BACKOFF_MIN

    # --- warnings ------------------------------------------------------------------------------
    def _warn_drop(self) -> None:
        now = time.monotonic()
        if now - self._last_drop_warning >= WARN_EVERY:
            self._last_drop_warning = now
            log.warning(
                "redis bus: PUBLISH QUEUE FULL (%d envelopes): DROPPING THE OLDEST; %d dropped so far. "
                "Live delivery is lost for them; messages stay in the database and clients resume by seq.",
                self.queue_limit,
                self.dropped,
            )

    def _warn_decode(self, rchan: bytes, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_decode_warning >= WARN_EVERY:
            self._last_decode_warning = now
            log.warning("redis bus: undecodable message on %r dropped: %s", rchan, exc)
