"""Reports become cases with a frozen, hashed evidence snapshot; duplicate reports join one case."""

from __future__ import annotations

import hashlib

import orjson

from causette.store import Store
from tests.support.harness import Harness


def _sha(data: object) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def test_a_reported_message_opens_one_case_with_its_context_frozen_and_hashed(chat: Harness) -> None:
    a = await chat.online("ca")
    b = await chat.online("cb")
    c = await chat.online("cc")
    room = await chat.private_room(a, b, c)
    acks = await chat.say_many(a[1], room, [f"message numéro {i}" for i in range(25)])
    target = acks[12]["seq"]
    for reporter in (b, c):
        await reporter[1].send(
            t="report", target={"conv": room, "seq": target}, category="harassment", text=""
        )
        await reporter[1].expect("reported")

    server = chat.server
    store = Store.open(server.store_url)
    try:
        case = await store.cases.open_for(f"message:{room}:{target}")
        assert case is not None
        # Two reports on one message: one case.
        assert (case.reports, case.status, case.category, case.origin) == (2, "open", "harassment", "report")
        items = case.evidence["items"]
        messages = [i["data"] for i in items if i["kind"] in ("context_message", "target_message")]
        assert [m["seq"] for m in messages] == list(range(target - 10, target + 11))
        assert [i["data"]["seq"] for i in items if i["kind"] == "target_message"] == [target]
        assert {i["data"]["id"] for i in items if i["kind"] == "declared_profile"} == {a[0].id}
        # Every item hashed, and the snapshot hashed over the items.
        assert all(i["sha256"] == _sha(i["data"]) for i in items)
        assert case.evidence_sha256 == case.evidence["sha256"] == _sha([i["sha256"] for i in items])
        # Later messages do not change the frozen evidence.
        await chat.say(a[1], room, "un message de plus")
        again = await store.cases.get(case.id)
        assert again is not None and again.evidence == case.evidence
    finally:
        await store.engine.dispose()


async def test_the_queue_puts_child_safety_first(chat: Harness) -> None:
    a = await chat.online("qa")
    b = await chat.online("qb")
    for category in ("spam", "minor", "harassment"):
        await a[1].send(t="report", target={"user": b[0].id}, category=category, text="")
        await a[1].expect("reported")
    server = chat.server
    store = Store.open(server.store_url)
    try:
        case = await store.cases.open_for(f"user:{b[0].id}")
        assert case is not None and case.reports == 3
        assert case.severity == 0  # joined by a child-safety report: the most urgent wins
        queue = await store.cases.queue(1000)
        severities = [c.severity for c in queue]
        assert severities == sorted(severities)
    finally:
        await store.engine.dispose()


async def test_a_message_the_safety_engine_holds_opens_an_automated_case(chat: Harness) -> None:
    a = await chat.online("fa")
    b = await chat.online("fb")
    room = await chat.private_room(a, b)
    await chat.say(a[1], room, "bonsoir tout le monde")
    cid = "held-1"
    text = "plan c0ke dispo ce soir, livraison rapide"
    await a[1].send(t="say", conv=room, text=text, cid=cid)
    assert (await a[1].expect("error", cid=cid))["code"] == "held_for_review"
    server = chat.server
    store = Store.open(server.store_url)
    try:
        event = next(e for e in await store.safety.recent(500) if e.user_id == a[0].id)
        case = await store.cases.open_for(f"flag:{event.id}")
        assert case is not None
        assert (case.origin, case.category, case.status) == ("automated", "drugs", "open")
        kinds = [i["kind"] for i in case.evidence["items"]]
        assert kinds[0] == "flagged_message" and case.evidence["items"][0]["data"]["text"] == text
        assert "context_message" in kinds and "declared_profile" in kinds
        assert case.evidence_sha256 == _sha([i["sha256"] for i in case.evidence["items"]])
    finally:
        await store.engine.dispose()
