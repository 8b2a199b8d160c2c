"""The Redis bus between nodes, against the real local Redis: two buses in one process are two nodes.

Each test uses its own channel prefix (and node ids), so tests never see each other's traffic,
nor that of anything else using the same Redis. Where a test must break connections, it kills
only its own bus's connections (found by client name), never everyone's.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from causette.bus.base import PRESENCE, Envelope, user_channel
from causette.bus.redis import RedisBus, encode
from tests.support.cluster import REDIS_URL, require_redis

pytestmark = pytest.mark.redis

TIMEOUT = 5.0


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_redis(REDIS_URL)
    return REDIS_URL


class Received:
    """A bus handler that records envelopes and lets a test wait for them."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self._changed = asyncio.Event()

    def __call__(self, env: Envelope) -> None:
        self.envelopes.append(env)
        self._changed.set()

    def on(self, channel: str) -> list[Envelope]:
        return [e for e in self.envelopes if e.channel == channel]

    async def wait_until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(TIMEOUT):
            while not done():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for(self, channel: str, count: int) -> list[Envelope]:
        await self.wait_until(lambda: len(self.on(channel)) >= count)
        return self.on(channel)


Node = tuple[RedisBus, Received]
NodeFactory = Callable[[str], Awaitable[Node]]


@pytest.fixture
def prefix() -> str:
    return "test-" + uuid.uuid4().hex[:12]


@pytest.fixture
async def nodes(redis_url: str, prefix: str) -> AsyncIterator[NodeFactory]:
    """`await nodes("a")`: a started bus with a recording handler, stopped after the test."""
    started: list[RedisBus] = []

    async def make(name: str) -> Node:
        bus = RedisBus(redis_url, f"{prefix}-{name}", prefix=prefix, health_interval=1.0)
        received = Received()
        bus.set_handler(received)
        await bus.start()
        started.append(bus)
        return bus, received

    yield make
    for bus in started:
        await bus.stop()


@pytest.fixture
async def admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def kill_connections(admin: aioredis.Redis, bus: RedisBus, kind: str) -> int:
    """Kill the bus's own connections of one kind ("sub" or "pub"), as a Redis restart would."""
    name = f"causette-bus:{bus.node_id}:{kind}"
    killed = 0
    for client in await admin.client_list():
        if client.get("name") == name:
            await admin.client_kill_filter(_id=client["id"])
            killed += 1
    return killed


async def test_conversation_envelope_reaches_a_node_only_once_it_is_interested(nodes: NodeFactory) -> None:
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    await b.interest(user_channel("bob"))

    a.publish(Envelope("room-1", b"before", sender="alice", seq=1))
    # From one publisher, Redis keeps order across channels: once the marker is in, the room
    # message would have been too, had B been subscribed.
    a.publish(Envelope(user_channel("bob"), b"marker"))
    await got_b.wait_for(user_channel("bob"), 1)
    assert got_b.on("room-1") == []

    b.interest("room-1")
    await b.ready("room-1")
    assert b.ready("room-1").done()
    a.publish(Envelope("room-1", b"after", sender="alice", seq=2))
    [env] = await got_b.wait_for("room-1", 1)
    assert env.payload == b"after"


async def test_publisher_receives_its_own_envelopes_through_redis_when_interested(nodes: NodeFactory) -> None:
    a, got_a = await nodes("a")
    await a.interest(user_channel("alice"))
    a.publish(Envelope("room-1", b"not interested"))
    a.publish(Envelope(user_channel("alice"), b"marker"))
    await got_a.wait_for(user_channel("alice"), 1)
    await a.interest("room-1")
    a.publish(Envelope("room-1", b"interested"))
    [env] = await got_a.wait_for("room-1", 1)
    assert env.payload == b"interested"


async def test_order_is_preserved_for_1000_envelopes_across_channels(nodes: NodeFactory) -> None:
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    await asyncio.gather(b.interest("room-1"), b.interest(user_channel("bob")))
    for i in range(1, 1001):
        # Alternate a conversation and a user channel: one publisher's order holds across both.
        channel = "room-1" if i % 3 else user_channel("bob")
        a.publish(Envelope(channel, str(i).encode(), sender="alice", seq=i))
    await got_b.wait_until(lambda: len(got_b.envelopes) >= 1000)
    assert [e.seq for e in got_b.envelopes] == list(range(1, 1001))
    assert [int(e.payload) for e in got_b.envelopes] == list(range(1, 1001))


async def test_control_envelopes_round_trip_every_field(nodes: NodeFactory) -> None:
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    channel = user_channel("Zoé-42")
    await asyncio.gather(b.interest(channel), b.interest("room-é"), b.interest(PRESENCE))
    sent = [
        Envelope(channel, control="join", arg="room-é"),
        Envelope(channel, b'{"t":"left","conv":"r"}', control="leave", arg="r"),
        Envelope(channel, control="blocked_by", arg="user-ü"),
        Envelope(channel, control="timeout", arg="1760000000000"),
        Envelope(channel, control="close", arg="4001"),
        Envelope("room-é", b"typing", sender="zoé", echo=False),
        Envelope("room-é", b"msg", sender="zoé", seq=2**40),
        Envelope(PRESENCE, b'{"t":"presence"}'),
    ]
    for env in sent:
        a.publish(env)
    await got_b.wait_until(lambda: len(got_b.envelopes) >= len(sent))
    assert got_b.envelopes == sent


async def test_payload_bytes_arrive_identical(nodes: NodeFactory) -> None:
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    await b.interest("room-1")
    payloads = [
        b"",
        bytes(range(256)),
        '{"t":"msg","text":"héhé 🙂 \\u0000"}'.encode(),
        os.urandom(64 * 1024),
    ]
    for payload in payloads:
        a.publish(Envelope("room-1", payload, sender="s"))
    received = await got_b.wait_for("room-1", len(payloads))
    assert [e.payload for e in received] == payloads


async def test_disinterest_stops_delivery_once_the_last_interest_goes(
    nodes: NodeFactory, admin: aioredis.Redis, prefix: str
) -> None:
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    await b.interest(user_channel("bob"))
    await b.interest("room-1")
    await b.interest("room-1")  # two local members

    b.disinterest("room-1")
    a.publish(Envelope("room-1", b"one member left"))
    await got_b.wait_for("room-1", 1)

    b.disinterest("room-1")
    a.publish(Envelope("room-1", b"nobody left"))
    a.publish(Envelope(user_channel("bob"), b"marker"))
    await got_b.wait_for(user_channel("bob"), 1)
    assert [e.payload for e in got_b.on("room-1")] == [b"one member left"]
    assert not b.interested("room-1")

    # And Redis itself stops sending it to this node.
    channel = f"{prefix}:c:room-1"
    for _ in range(int(TIMEOUT / 0.01)):
        if dict(await admin.pubsub_numsub(channel)).get(channel.encode()) == 0:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail(f"{channel} still has subscribers")


async def test_stop_flushes_the_queue_and_leaves_no_task_nor_warning(
    redis_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="causette.bus")
    before = asyncio.all_tasks()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = RedisBus(redis_url, f"{prefix}-a", prefix=prefix)
        b = RedisBus(redis_url, f"{prefix}-b", prefix=prefix)
        got_b = Received()
        b.set_handler(got_b)
        await a.start()
        await b.start()
        await b.interest("room-1")
        for i in range(100):
            a.publish(Envelope("room-1", b"x", seq=i + 1))
        await a.stop()  # returns once the queue is sent
        await got_b.wait_for("room-1", 100)
        await b.stop()
        await a.stop()  # twice is harmless
        await asyncio.sleep(0)
        gc.collect()
    assert asyncio.all_tasks() == before
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_bus_resubscribes_and_delivers_after_its_subscriber_connection_is_killed(
    nodes: NodeFactory, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="causette.bus")
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    resynced: asyncio.Future[frozenset[str]] = asyncio.get_running_loop().create_future()

    def resync(channels: frozenset[str]) -> None:
        if not resynced.done():
            resynced.set_result(channels)

    b.set_resync_handler(resync)
    await asyncio.gather(b.interest("room-1"), b.interest(user_channel("bob")))
    a.publish(Envelope("room-1", b"before", seq=1))
    await got_b.wait_for("room-1", 1)

    # What a Redis restart does to a subscriber (CLIENT KILL TYPE pubsub), limited to this node.
    assert await kill_connections(admin, b, "sub") == 1
    channels = await asyncio.wait_for(resynced, TIMEOUT)
    assert channels == {"room-1", user_channel("bob"), PRESENCE}
    assert any("re-subscribed" in r.getMessage() for r in caplog.records)

    a.publish(Envelope("room-1", b"after", seq=2))
    a.publish(Envelope(user_channel("bob"), control="join", arg="room-2"))
    await got_b.wait_for(user_channel("bob"), 1)
    assert [e.payload for e in got_b.on("room-1")] == [b"before", b"after"]

    # Interest declared after the reconnection is honoured too.
    await b.interest("room-2")
    a.publish(Envelope("room-2", b"new room"))
    await got_b.wait_for("room-2", 1)


async def test_publisher_reconnects_and_delivers_each_envelope_once_in_order(
    nodes: NodeFactory, admin: aioredis.Redis
) -> None:
    a, _ = await nodes("a")
    b, got_b = await nodes("b")
    await b.interest("room-1")
    for round_ in range(5):
        for i in range(200):
            a.publish(Envelope("room-1", b"m", seq=round_ * 200 + i + 1))
            if i == 100:
                await asyncio.sleep(0)  # let the writer start a batch, then cut it off
                await kill_connections(admin, a, "pub")
        await got_b.wait_for("room-1", (round_ + 1) * 200)
    await asyncio.sleep(0.05)
    assert [e.seq for e in got_b.on("room-1")] == list(range(1, 1001))


async def test_an_envelope_sent_again_after_a_write_failure_is_delivered_once(
    nodes: NodeFactory, admin: aioredis.Redis, prefix: str
) -> None:
    b, got_b = await nodes("b")
    await b.interest("room-1")
    origin = os.urandom(8)
    first, second = (encode(Envelope("room-1", b"m", seq=n), origin, n) for n in (1, 2))
    # A batch cut off after its first PUBLISH is sent again whole.
    for body in (first, first, second):
        await admin.publish(f"{prefix}:c:room-1", body)
    await admin.publish(f"{prefix}:c:room-1", encode(Envelope("room-1", b"end", seq=3), origin, 3))
    received = await got_b.wait_for("room-1", 3)
    assert [e.seq for e in received] == [1, 2, 3]


async def test_nodes_see_one_global_order(nodes: NodeFactory) -> None:
    a, got_a = await nodes("a")
    b, got_b = await nodes("b")
    await asyncio.gather(a.interest("room-1"), b.interest("room-1"))
    for i in range(200):
        (a if i % 2 else b).publish(Envelope("room-1", str(i).encode(), sender="ab"[i % 2]))
    await got_a.wait_for("room-1", 200)
    await got_b.wait_for("room-1", 200)
    assert got_a.envelopes == got_b.envelopes


def test_queue_is_bounded_and_drops_the_oldest_loudly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="causette.bus")
    # Never started: nothing leaves, as when Redis is unreachable.
    bus = RedisBus("redis://127.0.0.1:1", "unreachable", prefix="unused", queue_limit=5)
    for i in range(8):
        bus.publish(Envelope("room-1", b"x", seq=i + 1))
    assert bus.dropped == 3
    assert any("DROPPING THE OLDEST" in r.getMessage() for r in caplog.records)
