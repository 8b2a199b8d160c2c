"""The WebSocket gateway: upgrade, frames, errors, limits, membership and resume (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from tests.conftest import DedicatedServer
from tests.support.client import ChatClient, upgrade_status
from tests.support.harness import Entrant, Harness, benign_text, text_of_length
from tests.support.server import ServerProcess

# --- upgrade --------------------------------------------------------------------------------------


async def test_upgrade_without_token_is_refused_with_401(server: ServerProcess) -> None:
    assert await upgrade_status(server.ws_url) == 401


async def test_upgrade_with_forged_or_tampered_token_is_refused_with_401(chat: Harness) -> None:
    alice = await chat.user()
    token = alice.token
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in ("forged.token", "", tampered, token + "x"):
        assert await upgrade_status(chat.server.ws_url, bad) == 401, bad
    assert await upgrade_status(chat.server.ws_url, headers={"Authorization": "Bearer forged.token"}) == 401


async def test_upgrade_with_bearer_header_is_accepted(chat: Harness) -> None:
    alice = await chat.user()
    client = ChatClient(chat.server.ws_url)
    chat.clients.append(client)
    await client.connect(None, headers=alice.headers)
    assert client.welcome is not None
    assert client.welcome["user"]["id"] == alice.id


async def test_upgrade_with_expired_token_is_refused_with_401(dedicated_server: DedicatedServer) -> None:
    short = dedicated_server("short-session", env={"CAUSETTE_SESSION_TTL_SECONDS": "1"})
    async with Harness.on(short) as h:
        alice = await h.user()
        await asyncio.sleep(2.1)  # the only way to an expired token is to let it expire
        assert await upgrade_status(short.ws_url, alice.token) == 401
        assert (await h.http.get("/api/v1/me", headers=alice.headers)).status_code == 401


async def test_upgrade_with_revoked_token_is_refused_with_401(chat: Harness) -> None:
    alice = await chat.user()
    await chat.end_session(alice)
    assert await upgrade_status(chat.server.ws_url, alice.token) == 401


async def test_upgrade_from_a_foreign_browser_origin_is_refused_with_403(chat: Harness) -> None:
    alice = await chat.user()
    assert await upgrade_status(chat.server.ws_url, alice.token, origin="https://evil.example") == 403


async def test_server_selects_subprotocol_and_sends_welcome(chat: Harness) -> None:
    alice, a = await chat.online()
    assert a.subprotocol == "causette.v1"
    welcome = a.welcome
    assert welcome is not None
    assert welcome["user"]["id"] == alice.id
    assert welcome["user"]["pseudonym"] == alice.pseudonym
    assert welcome["rooms"] == [] and welcome["pms"] == [] and welcome["requests"] == []
    assert welcome["blocked"] == []
    assert isinstance(welcome["limits"], dict)
    await a.expect("resumed")


async def test_ping_is_answered_with_pong(chat: Harness) -> None:
    _, a = await chat.online()
    await a.send(t="ping")
    await a.expect("pong")


# --- messages ---------------------------------------------------------------------------------------


async def test_join_gives_the_latest_history_oldest_first(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a))
    texts = [benign_text(f"histoire {i}") for i in range(60)]
    acks = await chat.say_many(a, room, texts)
    seqs = [ack["seq"] for ack in acks]
    assert seqs == list(range(seqs[0], seqs[0] + 60)), seqs

    resp = await chat.invite(alice, room, bob)
    assert resp.status_code == 201, resp.text
    joined = await chat.join(b, room)
    history = joined["history"]
    size = chat.config["history_size"]
    assert len(history) == size == 50
    assert [m["seq"] for m in history] == seqs[-size:]
    assert [m["text"] for m in history] == texts[-size:]
    assert all(m["t"] == "msg" and m["conv"] == room and m["from"]["id"] == alice.id for m in history)


async def test_older_history_is_paged_through_rest_for_members_only(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    room = await chat.private_room((alice, a))
    texts = [benign_text(f"archive {i}") for i in range(20)]
    seqs = [ack["seq"] for ack in await chat.say_many(a, room, texts)]

    resp = await chat.http.get(
        f"/api/v1/history/{room}", params={"before": seqs[10], "limit": 5}, headers=alice.headers
    )
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert [m["seq"] for m in page] == seqs[5:10], "the 5 messages before, newest last"
    assert [m["text"] for m in page] == texts[5:10]

    outsider = await chat.user("out")
    refused = await chat.http.get(f"/api/v1/history/{room}", headers=outsider.headers)
    assert 400 <= refused.status_code < 500
    assert (await chat.http.get(f"/api/v1/history/{room}")).status_code == 401


async def test_say_is_acked_with_rising_seq_and_every_member_gets_the_same_seq(chat: Harness) -> None:
    alice, a = await chat.online("alice", gender="f")
    _bob, b = await chat.online("bob")
    _carol, c = await chat.online("carol")
    room = await chat.theme_room(alice)
    for client in (a, b, c):
        await chat.join(client, room)

    sent_at = time.time() * 1000
    acks = []
    for i in range(3):
        text = benign_text(f"salut {i}")
        ack = await chat.say(a, room, text)
        assert ack["conv"] == room
        acks.append(ack)
        for receiver in (b, c):
            msg = await receiver.expect("msg", text=text)
            assert msg["seq"] == ack["seq"]
            assert msg["conv"] == room
            assert msg["from"] == {"id": alice.id, "pseudonym": alice.pseudonym, "gender": "f"}
            assert abs(msg["at"] - sent_at) < 60_000, msg["at"]
    assert [ack["seq"] for ack in acks] == [acks[0]["seq"] + i for i in range(3)]


async def test_retried_cid_is_acked_with_the_same_seq_and_stored_once(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b))
    text = benign_text("une seule fois")
    first = await chat.say(a, room, text, cid="retry-1")
    second = await chat.say(a, room, text, cid="retry-1")
    assert second["seq"] == first["seq"]
    await b.expect("msg", text=text)
    await b.expect_none("msg", timeout=0.8, text=text)
    following = await chat.say(a, room)
    assert following["seq"] == first["seq"] + 1, "the retry must not have taken a seq"
    late = await chat.user("late")
    resp = await chat.invite(alice, room, late)
    assert resp.status_code == 201
    history = (await chat.join(await chat.connect(late), room))["history"]
    assert [m["text"] for m in history].count(text) == 1


async def test_say_outside_membership_is_not_member(chat: Harness) -> None:
    alice, a = await chat.online()
    room = await chat.theme_room(alice)
    await a.send(t="say", conv=room, text=benign_text(), cid="nm-1")
    error = await a.expect_error("not_member")
    assert error["cid"] == "nm-1"


async def test_message_of_max_length_is_accepted_and_one_more_is_too_long(chat: Harness) -> None:
    alice, a = await chat.online()
    room = await chat.private_room((alice, a))
    limit = chat.config["max_message_chars"]
    assert limit == 2000
    await a.send(t="say", conv=room, text=text_of_length(limit + 1), cid="long-1")
    error = await a.expect_error("too_long")
    assert error["cid"] == "long-1"
    ack = await chat.say(a, room, text_of_length(limit), cid="long-2")
    assert isinstance(ack["seq"], int)


async def test_empty_or_blank_message_is_refused(chat: Harness) -> None:
    alice, a = await chat.online()
    room = await chat.private_room((alice, a))
    for text in ("", "   \n\t "):
        await a.send(t="say", conv=room, text=text, cid="e")
        await a.expect_error("empty", cid="e")


async def test_malformed_frames_get_bad_frame_and_the_connection_stays_open(chat: Harness) -> None:
    alice, a = await chat.online()
    room = await chat.private_room((alice, a))
    bad_frames = [
        "this is not json",
        "[1, 2, 3]",
        '"a string"',
        json.dumps({"no_type": True}),
        json.dumps({"t": "say", "conv": room, "text": 42, "cid": "x1"}),
        json.dumps({"t": "join", "room": ["general"]}),
        json.dumps({"t": "say", "conv": room, "cid": "x2"}),  # text missing
        json.dumps({"t": "pm_answer", "request": "r1", "accept": "yes"}),
    ]
    for raw in bad_frames:
        await a.send_raw(raw)
        error = await a.expect("error")
        assert error["code"] == "bad_frame", f"{raw} -> {error}"
    await a.roundtrip()
    assert not a.closed


async def test_unknown_frame_type_is_unknown_type(chat: Harness) -> None:
    _, a = await chat.online()
    await a.send(t="dance", cid="u1")
    error = await a.expect_error("unknown_type")
    assert error.get("cid") == "u1"
    await a.roundtrip()


async def test_more_than_10_bad_frames_in_a_minute_close_the_socket_with_1008(chat: Harness) -> None:
    _, a = await chat.online()
    for _ in range(10):
        await a.send_raw("not json")
        await a.expect_error("bad_frame")
    await a.roundtrip()  # ten are tolerated
    await a.send_raw("not json")
    assert await a.wait_closed() == 1008


async def test_frame_over_64_kib_closes_the_socket_with_1009(chat: Harness) -> None:
    alice, a = await chat.online()
    room = await chat.private_room((alice, a))
    # Under the frame limit, an overlong text is only refused.
    await a.send(t="say", conv=room, text="x" * 60_000, cid="big-1")
    await a.expect_error("too_long", cid="big-1")
    await a.roundtrip()
    await a.send(t="say", conv=room, text="x" * (70 * 1024), cid="big-2")
    assert await a.wait_closed() == 1009


async def test_typing_reaches_the_other_members_only_in_joined_conversations(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b))
    await a.send(t="typing", conv=room)
    typing = await b.expect("typing", conv=room)
    assert typing["user"]["id"] == alice.id
    await a.send(t="typing", conv=await chat.theme_room(alice))
    await a.expect_error("not_member")


# --- membership, reconnect and resume --------------------------------------------------------------


async def test_membership_survives_a_reconnect(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b))
    await b.close()
    b2 = await chat.connect(bob)
    assert b2.welcome is not None and room in b2.welcome["rooms"]
    text = benign_text("toujours là")
    await chat.say(a, room, text)
    await b2.expect("msg", text=text, conv=room)


@dataclass
class Absence:
    """alice and bob share a private room; bob saw seq `seen`, then went away while alice talked."""

    alice: ChatClient
    bob: Entrant
    room: str
    seen: int
    missed: list[str]


async def bob_missed_messages(chat: Harness, count: int) -> Absence:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b))
    seen = (await chat.say(a, room))["seq"]
    await b.expect("msg", seq=seen)
    await b.close()
    texts = [benign_text(f"pendant ton absence {i}") for i in range(count)]
    await chat.say_many(a, room, texts)
    return Absence(alice=a, bob=bob, room=room, seen=seen, missed=texts)


async def test_resume_delivers_exactly_the_missed_messages_in_order(chat: Harness) -> None:
    gap = await bob_missed_messages(chat, 5)
    b = await chat.connect(gap.bob, resume={gap.room: gap.seen})
    resumed = await b.expect("resumed")
    backlog = [f for f in b.inbox if f.get("t") == "msg"]
    assert [m["seq"] for m in backlog] == [gap.seen + i for i in range(1, 6)]
    assert [m["text"] for m in backlog] == gap.missed
    assert resumed["heads"][gap.room] == gap.seen + 5
    b.inbox.clear()
    await b.expect_none("msg", timeout=0.8)
    live = benign_text("en direct")
    await chat.say(gap.alice, gap.room, live)
    msg = await b.expect("msg", text=live)
    assert msg["seq"] == gap.seen + 6
    await b.expect_none("msg", timeout=0.5)


async def test_resume_with_an_empty_map_delivers_only_live_messages(chat: Harness) -> None:
    gap = await bob_missed_messages(chat, 3)
    b = await chat.connect(gap.bob, resume={})
    resumed = await b.expect("resumed")
    assert resumed["heads"][gap.room] == gap.seen + 3
    await b.expect_none("msg", timeout=0.5)
    live = benign_text("en direct")
    await chat.say(gap.alice, gap.room, live)
    assert (await b.expect("msg", text=live))["seq"] == gap.seen + 4


async def test_live_messages_sent_before_hello_come_after_the_backlog_once(chat: Harness) -> None:
    gap = await bob_missed_messages(chat, 3)
    b = await chat.connect(gap.bob, hello=False)
    during = benign_text("pendant la reconnexion")
    await chat.say(gap.alice, gap.room, during)
    await b.hello({gap.room: gap.seen})
    await b.expect("resumed")
    msgs = [f for f in await b.drain(0.8) if f.get("t") == "msg"]
    assert [m["seq"] for m in msgs] == [gap.seen + i for i in range(1, 5)]
    assert [m["text"] for m in msgs] == [*gap.missed, during]


async def test_every_socket_of_a_session_receives_the_messages(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b1 = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b1))
    b2 = await chat.connect(bob)
    text = benign_text("à tous les onglets")
    ack = await chat.say(a, room, text)
    for tab in (b1, b2):
        assert (await tab.expect("msg", text=text))["seq"] == ack["seq"]
    own = benign_text("depuis l'onglet un")
    await chat.say(b1, room, own)
    await b2.expect("msg", text=own)
    await a.expect("msg", text=own)


async def test_leave_stops_delivery_and_membership(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    _bob, b = await chat.online("bob")
    room = await chat.theme_room(alice)
    await chat.join(a, room)
    await chat.join(b, room)
    await b.send(t="leave", room=room)
    await b.expect("left", conv=room)
    await chat.say(a, room, benign_text("tu es parti"))
    await b.expect_none("msg", timeout=0.8)
    await b.send(t="say", conv=room, text=benign_text(), cid="after-leave")
    await b.expect_error("not_member", cid="after-leave")
