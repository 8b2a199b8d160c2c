"""Private messages: requests, answers, limits and blocks (docs/protocol.md, "Private messages")."""

from __future__ import annotations

from tests.support.client import unique_cid
from tests.support.harness import Harness, benign_text, user_id


async def test_request_reaches_the_recipient_as_a_preview(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="salut, on discute ?", cid="pm-1")
    ack = await a.expect("ack", cid="pm-1")
    assert isinstance(ack["request"], str)
    request = await b.expect("pm_request")
    assert request["request"] == ack["request"]
    assert request["from"]["id"] == alice.id
    assert request["from"]["pseudonym"] == alice.pseudonym
    assert "salut, on discute ?" in request["preview"]
    assert isinstance(request["at"], int)


async def test_accepted_request_opens_the_conversation_and_messages_flow_both_ways(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="bonjour, ça va ?", cid="pm-1")
    await a.expect("ack", cid="pm-1")
    request = await b.expect("pm_request")
    await b.send(t="pm_answer", request=request["request"], accept=True)
    opened_a = await a.expect("pm_open")
    opened_b = await b.expect("pm_open")
    conv = opened_a["conv"]
    assert opened_b["conv"] == conv
    assert opened_a["with"]["id"] == bob.id
    assert opened_b["with"]["id"] == alice.id

    from_alice = await chat.say(a, conv, "merci d'avoir accepté")
    assert from_alice["seq"] == 2, "the request text is message 1 of the conversation"
    assert (await b.expect("msg", conv=conv, text="merci d'avoir accepté"))["seq"] == 2
    from_bob = await chat.say(b, conv, "avec plaisir")
    assert from_bob["seq"] == 3
    assert (await a.expect("msg", conv=conv, text="avec plaisir"))["from"]["id"] == bob.id

    # The request itself is message 1: a resume from 0 replays the whole conversation.
    late_tab = await chat.connect(bob, resume={conv: 0})
    await late_tab.expect("resumed")
    replay = [f for f in late_tab.inbox if f.get("t") == "msg" and f.get("conv") == conv]
    assert [(m["seq"], m["text"]) for m in replay] == [
        (1, "bonjour, ça va ?"),
        (2, "merci d'avoir accepté"),
        (3, "avec plaisir"),
    ]
    assert replay[0]["from"]["id"] == alice.id
    pms = late_tab.welcome["pms"] if late_tab.welcome else []
    assert any(p["conv"] == conv and p["with"]["id"] == alice.id for p in pms), pms


async def test_decline_is_silent_and_the_next_request_gets_declined(chat: Harness) -> None:
    _alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="coucou", cid="pm-1")
    await a.expect("ack", cid="pm-1")
    request = await b.expect("pm_request")
    await b.send(t="pm_answer", request=request["request"], accept=False)
    await b.roundtrip()
    await a.expect_none(timeout=0.8)
    await a.send(t="pm_request", to=bob.id, text="tu es là ?", cid="pm-2")
    await a.expect_error("declined", cid="pm-2")
    await b.expect_none("pm_request", timeout=0.5)


async def test_sender_may_have_at_most_5_open_requests(chat: Harness) -> None:
    _, a = await chat.online("alice")
    limit = chat.config["max_open_requests"]
    assert limit == 5
    recipients = [await chat.online("rcpt") for _ in range(limit + 1)]
    for who, _ in recipients[:limit]:
        cid = unique_cid()
        await a.send(t="pm_request", to=who.id, text=benign_text("bonjour"), cid=cid)
        await a.expect("ack", cid=cid)
    last, last_client = recipients[limit]
    await a.send(t="pm_request", to=last.id, text=benign_text("bonjour"), cid="over")
    await a.expect_error("too_many_requests", cid="over")
    await last_client.expect_none("pm_request", timeout=0.5)

    # An answer closes a request and frees its slot.
    first_client = recipients[0][1]
    request = await first_client.expect("pm_request")
    await first_client.send(t="pm_answer", request=request["request"], accept=True)
    await a.expect("pm_open")
    await a.send(t="pm_request", to=last.id, text=benign_text("bonjour"), cid="again")
    await a.expect("ack", cid="again")
    await last_client.expect("pm_request")


async def test_request_to_oneself_is_refused(chat: Harness) -> None:
    alice, a = await chat.online()
    await a.send(t="pm_request", to=alice.id, text="moi-même", cid="self-1")
    await a.expect_error("self", cid="self-1")
    await a.send(t="block", user=alice.id)
    await a.expect_error("self")


async def test_request_to_an_unknown_user_is_not_found(chat: Harness) -> None:
    _, a = await chat.online()
    await a.send(t="pm_request", to="no-such-user", text="bonjour", cid="nf-1")
    await a.expect_error("not_found", cid="nf-1")


async def test_second_request_while_one_is_open_is_request_pending(chat: Harness) -> None:
    _alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="première demande", cid="pm-1")
    first = await a.expect("ack", cid="pm-1")
    # The same cid is a retry: acknowledged again, delivered once.
    await a.send(t="pm_request", to=bob.id, text="première demande", cid="pm-1")
    again = await a.expect("ack", cid="pm-1")
    assert again["request"] == first["request"]
    await a.send(t="pm_request", to=bob.id, text="deuxième demande", cid="pm-2")
    await a.expect_error("request_pending", cid="pm-2")
    await b.expect("pm_request")
    await b.expect_none("pm_request", timeout=0.8)


async def test_crossed_requests_open_the_conversation(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="on parle ?", cid="pm-a")
    await a.expect("ack", cid="pm-a")
    await b.expect("pm_request")
    await b.send(t="pm_request", to=alice.id, text="oui, avec plaisir", cid="pm-b")
    opened_a = await a.expect("pm_open")
    opened_b = await b.expect("pm_open")
    assert opened_a["conv"] == opened_b["conv"]


async def test_request_to_an_open_conversation_partner_is_already_open(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    conv = await chat.open_pm((alice, a), (bob, b), "salut")
    await a.send(t="pm_request", to=bob.id, text="encore ?", cid="pm-x")
    error = await a.expect_error("already_open", cid="pm-x")
    assert error["conv"] == conv


async def test_blocked_user_cannot_open_a_request_and_nothing_is_delivered(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await b.send(t="block", user=alice.id)
    confirmed = await b.expect("blocked")
    assert user_id(confirmed["user"]) == alice.id
    await a.send(t="pm_request", to=bob.id, text="coucou", cid="pm-1")
    await a.expect_error("blocked", cid="pm-1")
    await b.expect_none("pm_request", timeout=0.8)


async def test_blocker_cannot_send_a_request_to_the_blocked_user(chat: Harness) -> None:
    _alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="block", user=bob.id)
    await a.expect("blocked")
    await a.send(t="pm_request", to=bob.id, text="finalement ?", cid="pm-1")
    await a.expect_error("blocked", cid="pm-1")
    await b.expect_none("pm_request", timeout=0.8)


async def test_block_closes_open_requests_between_the_two(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="coucou", cid="pm-1")
    await a.expect("ack", cid="pm-1")
    request = await b.expect("pm_request")
    await b.send(t="block", user=alice.id)
    await b.expect("blocked")
    await b.send(t="pm_answer", request=request["request"], accept=True)
    await b.expect("error")
    await a.expect_none("pm_open", timeout=0.8)
    b2 = await chat.connect(bob)
    assert b2.welcome is not None
    assert b2.welcome["requests"] == []
    assert [user_id(u) for u in b2.welcome["blocked"]] == [alice.id]


async def test_block_refuses_messages_in_the_private_conversation(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    conv = await chat.open_pm((alice, a), (bob, b), "bonjour")
    await b.send(t="block", user=alice.id)
    await b.expect("blocked")
    refused = benign_text("tu m'entends ?")
    await a.send(t="say", conv=conv, text=refused, cid="after-block")
    await a.expect_error("blocked", cid="after-block")
    await b.expect_none("msg", timeout=0.8, text=refused)


async def test_blocker_does_not_see_the_blocked_users_room_messages_until_unblock(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    carol, c = await chat.online("carol")
    room = await chat.private_room((carol, c), (alice, a), (bob, b))
    await b.send(t="block", user=alice.id)
    await b.expect("blocked")

    hidden = benign_text("tu ne me vois pas")
    await chat.say(a, room, hidden)
    await c.expect("msg", text=hidden)
    await b.expect_none("msg", timeout=0.8, text=hidden)
    visible = benign_text("carol parle")
    await chat.say(c, room, visible)
    await b.expect("msg", text=visible)

    await b.send(t="unblock", user=alice.id)
    assert user_id((await b.expect("unblocked"))["user"]) == alice.id
    again = benign_text("me revoilà")
    await chat.say(a, room, again)
    await b.expect("msg", text=again)


async def test_pending_requests_are_in_welcome_after_a_reconnect(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, b = await chat.online("bob")
    await a.send(t="pm_request", to=bob.id, text="tu reviens quand ?", cid="pm-1")
    ack = await a.expect("ack", cid="pm-1")
    await b.expect("pm_request")
    await b.close()
    b2 = await chat.connect(bob)
    assert b2.welcome is not None
    requests = b2.welcome["requests"]
    assert len(requests) == 1, requests
    assert requests[0]["request"] == ack["request"]
    assert requests[0]["from"]["id"] == alice.id
    assert "tu reviens quand ?" in requests[0]["preview"]
    await b2.send(t="pm_answer", request=ack["request"], accept=True)
    await a.expect("pm_open")
