"""Nothing acknowledged is lost: crashes and restarts of the server (DESIGN.md, "Data flow").

Each test has a server of its own (`fresh_server`), killed or restarted on the same data dir or
database.
"""

from __future__ import annotations

import asyncio

from tests.support.client import enter, error_code
from tests.support.harness import Harness, benign_text


async def test_acknowledged_messages_survive_a_kill_9_and_a_restart(fresh_chat: Harness) -> None:
    chat = fresh_chat
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.theme_room(alice)
    await chat.join(a, room)
    await chat.join(b, room)
    seen = (await chat.say(a, room))["seq"]
    await b.expect("msg", seq=seen)

    texts = [benign_text(f"avant le crash {i}") for i in range(30)]
    acks = await chat.say_many(a, room, texts)
    assert [ack["seq"] for ack in acks] == [seen + i for i in range(1, 31)]

    await asyncio.to_thread(chat.server.kill)
    await a.wait_closed()
    await b.wait_closed()
    await chat.close_all()
    await asyncio.to_thread(chat.server.start)

    # The same session resumes where it left off: every acknowledged message, in order, once.
    b2 = await chat.connect(bob, resume={room: seen})
    resumed = await b2.expect("resumed")
    backlog = [f for f in b2.inbox if f.get("t") == "msg" and f.get("conv") == room]
    assert [m["seq"] for m in backlog] == [ack["seq"] for ack in acks]
    assert [m["text"] for m in backlog] == texts
    assert resumed["heads"][room] == acks[-1]["seq"]

    # A newcomer sees them in the join history.
    _, d = await chat.online("dora")
    history = (await chat.join(d, room))["history"]
    assert [m["text"] for m in history][-30:] == texts

    # And the room goes on counting from there.
    a2 = await chat.connect(alice)
    after = await chat.say(a2, room, benign_text("après le crash"))
    assert after["seq"] == acks[-1]["seq"] + 1


async def test_private_conversation_survives_a_kill_9(fresh_chat: Harness) -> None:
    chat = fresh_chat
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    conv = await chat.open_pm((alice, a), (bob, b), "bonjour toi")
    ack = await chat.say(a, conv, "à tout à l'heure")

    await asyncio.to_thread(chat.server.kill)
    await chat.close_all()
    await asyncio.to_thread(chat.server.start)

    b2 = await chat.connect(bob, resume={conv: 0})
    await b2.expect("resumed")
    replay = [(m["seq"], m["text"]) for m in b2.inbox if m.get("t") == "msg" and m.get("conv") == conv]
    assert replay == [(1, "bonjour toi"), (ack["seq"], "à tout à l'heure")]
    assert b2.welcome is not None
    assert any(p["conv"] == conv for p in b2.welcome["pms"])


async def test_living_sessions_pseudonym_stays_reserved_across_a_restart(fresh_chat: Harness) -> None:
    chat = fresh_chat
    alice, a = await chat.online("alice")
    room = await chat.theme_room(alice)
    await chat.join(a, room)

    await asyncio.to_thread(chat.server.stop)
    assert await a.wait_closed() == 1001, "a graceful shutdown closes sockets with 1001"
    await chat.close_all()
    await asyncio.to_thread(chat.server.start)

    status, body = await enter(chat.server.base_url, alice.pseudonym, client=chat.http)
    assert 400 <= status < 500, body
    assert error_code(body) == "pseudonym_taken"

    # The session itself lives on: same token, same rooms.
    a2 = await chat.connect(alice)
    assert a2.welcome is not None
    assert a2.welcome["user"]["id"] == alice.id
    assert room in a2.welcome["rooms"]
