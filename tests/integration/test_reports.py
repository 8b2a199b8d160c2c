"""One-tap reports of a message, a user or a room (docs/protocol.md, `report`)."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness, benign_text


async def test_reporting_a_message_is_answered_with_a_receipt(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    room = await chat.private_room((alice, a), (bob, b))
    ack = await chat.say(a, room, benign_text("à signaler"))
    await b.send(
        t="report",
        target={"conv": room, "seq": ack["seq"]},
        category="harassment",
        text="il insiste",
    )
    receipt = await b.expect("reported")
    assert receipt["id"] not in (None, "")


async def test_reporting_a_user_and_a_room_is_answered_with_distinct_receipts(chat: Harness) -> None:
    alice, _a = await chat.online("alice")
    _bob, b = await chat.online("bob")
    room = await chat.theme_room(alice)
    await b.send(t="report", target={"user": alice.id}, category="spam", text="")
    first = await b.expect("reported")
    await b.send(t="report", target={"room": room}, category="other", text="sujet déplacé")
    second = await b.expect("reported")
    assert first["id"] != second["id"]


@pytest.mark.parametrize("kind", ["message", "user", "room"])
async def test_reporting_an_unknown_target_is_not_found(chat: Harness, kind: str) -> None:
    alice, a = await chat.online("alice")
    room = await chat.private_room((alice, a))
    target = {
        "message": {"conv": room, "seq": 999_999},
        "user": {"user": "no-such-user"},
        "room": {"room": "no-such-room"},
    }[kind]
    await a.send(t="report", target=target, category="spam", text="")
    await a.expect_error("not_found")
