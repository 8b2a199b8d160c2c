"""Two `causette serve` nodes sharing PostgreSQL and Redis (issue 8, first step): members on
different nodes hear each other in a room and in private, in order, exactly once."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.client import unique_pseudonym, upgrade_status
from tests.support.cluster import REDIS_URL, cluster, fresh_database
from tests.support.harness import Harness, benign_text
from tests.support.server import CAUSETTE_BIN, ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[ServerProcess, ...]]:
    with cluster(tmp_path) as nodes:
        yield nodes


async def test_members_on_two_nodes_hear_each_other_in_order_exactly_once(
    two_nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
        alice, a = await on_a.online("alice")
        bob, b = await on_b.online("bob")
        room = await on_a.theme_room(alice)
        await on_a.join(a, room)
        await on_b.join(b, room)

        texts = [benign_text(f"depuis A {i}") for i in range(20)]
        acks = await on_a.say_many(a, room, texts)
        for ack, text in zip(acks, texts, strict=True):
            got = await b.expect("msg", conv=room, seq=ack["seq"], timeout=5)
            assert got["text"] == text
        reply = await on_b.say(b, room, benign_text("depuis B"))
        await a.expect("msg", conv=room, seq=reply["seq"], timeout=5)
        await b.expect_none("msg", conv=room, seq=acks[0]["seq"])  # exactly once

        # A private request from one node to the other, accepted, then a private message.
        await a.send(t="pm_request", to=bob.id, text=benign_text("bonjour"), cid="req-1")
        request = await b.expect("pm_request", timeout=5)
        await b.send(t="pm_answer", request=request["request"], accept=True)
        opened = await a.expect("pm_open", timeout=5)
        await b.expect("pm_open", conv=opened["conv"], timeout=5)
        said = await on_b.say(b, opened["conv"], benign_text("en privé"))
        await a.expect("msg", conv=opened["conv"], seq=said["seq"], timeout=5)


async def test_a_node_killed_mid_stream_loses_no_acknowledged_message(
    two_nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """Bob and Chloé are on node B; Alice writes from node A; B dies (SIGKILL) mid-stream. They
    reconnect to A and resume from the last seq they saw: every acknowledged message reaches
    each of them exactly once, in order."""
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
        alice, a = await on_a.online("alice")
        room = await on_a.theme_room(alice)
        await on_a.join(a, room)
        listeners = []
        for name in ("bob", "chloe"):
            who, ws = await on_b.online(name)
            await on_b.join(ws, room)
            listeners.append((who, ws))

        texts = [benign_text(f"flux {i}") for i in range(60)]
        cids = [f"flux-{i}" for i in range(60)]
        for cid, text in zip(cids[:30], texts[:30], strict=True):
            await a.send(t="say", conv=room, text=text, cid=cid)
        first_acks = [await a.expect("ack", cid=cid, timeout=5) for cid in cids[:30]]
        # Let some of the stream reach node B's sockets, then kill B while Alice goes on.
        # (expect takes the frame it waited for out of the inbox: it is put back below.)
        taken = await listeners[0][1].expect("msg", conv=room, seq=first_acks[10]["seq"], timeout=5)
        for cid, text in zip(cids[30:], texts[30:], strict=True):
            await a.send(t="say", conv=room, text=text, cid=cid)
        node_b.kill()
        acks = first_acks + [await a.expect("ack", cid=cid, timeout=5) for cid in cids[30:]]
        expected = [ack["seq"] for ack in acks]

        for who, ws in listeners:
            await ws.wait_closed(timeout=5)
            seen = [f["seq"] for f in ws.inbox if f.get("t") == "msg" and f.get("conv") == room]
            assert seen == sorted(set(seen)), "live delivery before the crash: in order, once"
            if ws is listeners[0][1]:
                seen = sorted([*seen, taken["seq"]])
            last = seen[-1] if seen else 0
            back = await on_a.connect(who, resume={room: last})
            await back.expect("resumed", timeout=10)
            resumed = [f["seq"] for f in back.inbox if f.get("t") == "msg" and f.get("conv") == room]
            assert seen + resumed == expected, (who.pseudonym, seen, resumed)


async def test_one_name_is_given_once_even_when_two_nodes_are_asked_at_the_same_instant(
    two_nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    node_a, node_b = two_nodes
    async with (
        httpx.AsyncClient(base_url=node_a.base_url, trust_env=False) as on_a,
        httpx.AsyncClient(base_url=node_b.base_url, trust_env=False) as on_b,
    ):
        for round_ in range(10):
            name = f"Jumeau{round_}x{secrets.token_hex(2)}"
            body = {"pseudonym": name, "age": 30, "gender": "f", "postal_code": "75011"}
            answers = await asyncio.gather(
                on_a.post("/api/v1/sessions", json=body), on_b.post("/api/v1/sessions", json=body)
            )
            codes = sorted(r.status_code for r in answers)
            assert codes == [201, 409], [r.text for r in answers]


async def test_the_entry_rate_of_an_address_is_counted_across_the_cluster(tmp_path: Path) -> None:
    with cluster(tmp_path, rate_limits="on", env={"CAUSETTE_ENTRY_RATE_PER_MINUTE": "4"}) as (node_a, node_b):
        async with (
            httpx.AsyncClient(base_url=node_a.base_url, trust_env=False) as on_a,
            httpx.AsyncClient(base_url=node_b.base_url, trust_env=False) as on_b,
        ):
            codes = []
            for i in range(6):
                http = on_a if i % 2 == 0 else on_b
                body = {
                    "pseudonym": unique_pseudonym("rate"),
                    "age": 30,
                    "gender": "f",
                    "postal_code": "75011",
                }
                codes.append((await http.post("/api/v1/sessions", json=body)).status_code)
            assert codes == [201, 201, 201, 201, 429, 429], codes


async def test_a_session_ended_on_one_node_is_refused_by_the_other(
    two_nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a:
        alice = await on_a.user("alice")
        assert await upgrade_status(node_b.ws_url, alice.token) == 101
        await on_a.end_session(alice)
        for _ in range(50):  # the revocation travels on the bus
            if await upgrade_status(node_b.ws_url, alice.token) == 401:
                break
            await asyncio.sleep(0.05)
        assert await upgrade_status(node_b.ws_url, alice.token) == 401


async def test_a_node_cut_off_from_redis_sends_its_clients_to_resume_and_nothing_is_lost(
    two_nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """Node B's Redis connections are killed mid-stream (as a Redis restart would): B reconnects,
    subscribes again and closes its sockets with 1013; Bob resumes and gets every message once."""
    node_a, node_b = two_nodes
    async with Harness.on(node_a) as on_a, Harness.on(node_b) as on_b:
        alice, a = await on_a.online("alice")
        bob, b = await on_b.online("bob")
        room = await on_a.theme_room(alice)
        await on_a.join(a, room)
        await on_b.join(b, room)
        first = await on_a.say(a, room, benign_text("avant"))
        await b.expect("msg", conv=room, seq=first["seq"], timeout=5)

        admin = redis.Redis.from_url(REDIS_URL)
        try:
            suffixes = (f"-{node_b.pid}:sub", f"-{node_b.pid}:pub")
            ids = [c["id"] for c in admin.client_list() if str(c.get("name", "")).endswith(suffixes)]
            assert len(ids) == 2, admin.client_list()
            acks = []
            for i in range(20):
                if i == 5:
                    for client_id in ids:
                        admin.client_kill_filter(_id=client_id)
                acks.append(await on_a.say(a, room, benign_text(f"pendant {i}")))
        finally:
            admin.close()
        assert await b.wait_closed(timeout=10) == 1013
        back = await on_b.connect(bob, resume={room: first["seq"]})
        await back.expect("resumed", timeout=10)
        resumed = [f["seq"] for f in back.inbox if f.get("t") == "msg" and f.get("conv") == room]
        assert resumed == [ack["seq"] for ack in acks]


def test_nodes_migrating_a_fresh_database_together_all_succeed() -> None:
    """Replicas started at once all run the migrations: they take turns (an advisory lock)."""
    with fresh_database() as database:
        procs = [
            subprocess.Popen(
                [str(CAUSETTE_BIN), "migrate", "--database-url", database.url],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(4)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, outputs
