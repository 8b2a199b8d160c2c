"""What the nodes of a cluster agree on besides messages: who is online (a dead node's users leave
every list within seconds), how many members a room has, the order of a conversation written from
several nodes at once, and the rate of the public report form."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from causette.bus.base import Envelope
from causette.bus.redis import RedisBus
from causette.protocol.frames import encode_dict
from causette.store import Store
from tests.support.cluster import REDIS_URL, cluster
from tests.support.harness import Harness, benign_text
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# Beats every 0.5 s; a node silent 1.5 s is dead.
FAST = {"CAUSETTE_NODE_TTL_MS": "1500", "CAUSETTE_PRESENCE_INTERVAL_MS": "200"}


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[ServerProcess, ...]]:
    with cluster(tmp_path, env=FAST) as nodes:
        yield nodes


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "") -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {what}")
        await asyncio.sleep(0.1)


def ids(users: list[dict[str, Any]]) -> set[Any]:
    return {u["id"] for u in users}


async def test_the_list_of_who_is_online_covers_every_node_and_forgets_a_dead_one(
    two_nodes: tuple[ServerProcess, ...],
) -> None:
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
        alice, a = await on_a.online("alice")
        bob, _b = await on_b.online("bob")
        room = await on_a.theme_room(alice)
        await on_a.join(a, room)
        await on_b.join(_b, room)

        async def both_listed() -> bool:
            seen_a = ids(await on_a.users(alice))
            seen_b = ids(await on_b.users(bob))
            return {alice.id, bob.id} <= seen_a and {alice.id, bob.id} <= seen_b

        await eventually(both_listed, what="each node lists the other's user")

        async def two_members() -> bool:
            found = await on_a.room(alice, room)
            return found is not None and found["members"] == 2

        await eventually(two_members, what="the room counts members on both nodes")

        node_b.kill()
        started = time.monotonic()
        offline = await a.expect(
            lambda f: f.get("t") == "presence" and bob.id in f.get("offline", []), timeout=10
        )
        assert offline["online"] == [] or bob.id not in ids(offline["online"])
        assert time.monotonic() - started < 8, "a dead node's users leave within seconds"
        assert bob.id not in ids(await on_a.users(alice))
        assert alice.id in ids(await on_a.users(alice))
        found = await on_a.room(alice, room)
        assert found is not None and found["members"] == 1


async def test_a_user_with_sockets_on_two_nodes_stays_online_when_one_closes(
    two_nodes: tuple[ServerProcess, ...],
) -> None:
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
        alice, a = await on_a.online("alice")
        carol, on_second = await on_b.online("carol")

        async def listed_on_a() -> bool:
            return carol.id in ids(await on_a.users(alice))

        # Node A lists carol only once it knows of her socket on B (B's beat); then she opens one
        # on A too. (Opened on A first, the list proved nothing: A listed her for her own socket,
        # and closing it could come before A heard of B's.)
        await eventually(listed_on_a, what="node A knows carol is on node B")
        on_first = await on_a.connect(carol)
        await on_first.close()
        # Presence is flushed every 0.2 s: a wrong "offline" would come well within 2 s.
        await a.expect_none(
            lambda f: f.get("t") == "presence" and carol.id in f.get("offline", []), timeout=2
        )
        assert carol.id in ids(await on_a.users(alice))
        await on_second.close()
        await a.expect(lambda f: f.get("t") == "presence" and carol.id in f.get("offline", []), timeout=10)


async def test_a_conversation_written_from_two_nodes_at_once_arrives_in_order_everywhere(
    two_nodes: tuple[ServerProcess, ...],
) -> None:
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
        alice, a = await on_a.online("alice")
        _bob, b = await on_b.online("bob")
        room = await on_a.theme_room(alice)
        listeners = []
        for harness in (on_a, on_b):
            _who, ws = await harness.online("listener")
            await harness.join(ws, room)
            listeners.append(ws)
        await on_a.join(a, room)
        await on_b.join(b, room)

        count = 60
        for i in range(count):  # interleaved, without waiting for acks
            await a.send(t="say", conv=room, text=benign_text(f"a{i}"), cid=f"a{i}")
            await b.send(t="say", conv=room, text=benign_text(f"b{i}"), cid=f"b{i}")
        acks = [await a.expect("ack", cid=f"a{i}", timeout=10) for i in range(count)]
        acks += [await b.expect("ack", cid=f"b{i}", timeout=10) for i in range(count)]
        stored = sorted(ack["seq"] for ack in acks)
        assert stored == list(range(stored[0], stored[0] + 2 * count)), "gap-free seqs across nodes"

        for ws in listeners:
            # Wait for the last one, then read the arrival order off the inbox.
            last = await ws.expect("msg", conv=room, seq=stored[-1], timeout=10)
            await asyncio.sleep(0.3)  # a duplicate would come now
            got = [f["seq"] for f in ws.inbox if f.get("t") == "msg" and f.get("conv") == room]
            got.insert(len([s for s in got if s < last["seq"]]), last["seq"])
            assert got == stored, "every member gets the conversation in seq order, once"


async def test_a_message_stored_but_never_published_is_read_from_the_database_in_order(
    tmp_path: Path,
) -> None:
    """A node that dies between its commit and its publish leaves a gap on the bus: the next
    message reveals it, and every node fills it from the database before going on."""
    prefix = f"test-{secrets.token_hex(4)}"
    with cluster(tmp_path, env={**FAST, "CAUSETTE_REDIS_PREFIX": prefix}) as (node_a, _node_b):
        async with Harness.on(node_a) as on_a:
            alice, a = await on_a.online("alice")
            bob, b = await on_a.online("bob")
            room = await on_a.theme_room(alice)
            await on_a.join(a, room)
            await on_a.join(b, room)
            first = await on_a.say(b, room, benign_text("avant"))
            await a.expect("msg", conv=room, seq=first["seq"], timeout=5)

            # A third "node": the project's own store and bus, as a node would use them.
            store = Store.open(node_a.store_url)
            store.start()
            bus = RedisBus(REDIS_URL, prefix=prefix)
            await bus.start()
            try:
                sender = (bob.id, bob.pseudonym, "f")
                lost, _ = await store.messages.append(room, *sender, "perdu-1", benign_text("perdu"))
                after, _ = await store.messages.append(room, *sender, "apres-1", benign_text("après"))
                # Only the second one is published: the first one's node "died" in between.
                bus.publish(Envelope(room, encode_dict(after.wire()), sender=bob.id, seq=after.seq))
                got = [await a.expect("msg", conv=room, timeout=5) for _ in range(2)]
            finally:
                await bus.stop()
                await store.close()
            assert [f["seq"] for f in got] == [lost.seq, after.seq]
            assert got[0]["text"] == lost.text


async def test_the_report_form_rate_is_counted_across_the_cluster(tmp_path: Path) -> None:
    env = {**FAST, "CAUSETTE_PUBLIC_REPORTS_PER_HOUR": "2"}
    with cluster(tmp_path, rate_limits="on", env=env) as (node_a, node_b):
        async with Harness.on(node_a) as on_a:
            alice = await on_a.user("alice")
        body = {
            "target": {"user": alice.id},
            "category": "harassment",
            "explanation": "Ce compte envoie des insultes à plusieurs personnes.",
            "good_faith": True,
        }
        codes = []
        for node in (node_a, node_b, node_b):
            async with httpx.AsyncClient(base_url=node.base_url) as http:
                resp = await http.post("/api/v1/reports", json=body)
            codes.append((resp.status_code, resp.json().get("error", {}).get("code")))
        assert codes[:2] == [(201, None), (201, None)]
        assert codes[2] == (429, "rate_limited")
