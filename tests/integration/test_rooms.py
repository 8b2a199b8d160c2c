"""Rooms: the catalogue, age bands, private rooms and their cap (docs/protocol.md, "REST")."""

from __future__ import annotations

import httpx

from tests.conftest import SHARED_PRIVATE_ROOM_CAP
from tests.support.client import error_code
from tests.support.harness import Harness, user_id


async def test_room_list_needs_a_valid_bearer_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/rooms")).status_code == 401
    forged = await http.get("/api/v1/rooms", headers={"Authorization": "Bearer forged.token"})
    assert forged.status_code == 401


async def test_room_list_has_theme_region_and_age_rooms_with_their_shape(chat: Harness) -> None:
    alice = await chat.user()
    rooms = await chat.rooms(alice)
    assert rooms
    for room in rooms:
        assert set(room) >= {"id", "name", "kind", "topic", "members"}, room
        assert isinstance(room["members"], int) and room["members"] >= 0
        assert room["kind"] in ("theme", "region", "age", "private")
        if room["kind"] == "region":
            assert room.get("region") in chat.config["regions"], room
        if room["kind"] == "age":
            assert isinstance(room.get("min_age"), int), room
    assert {"theme", "region", "age"} <= {room["kind"] for room in rooms}


async def test_member_count_rises_when_someone_joins(chat: Harness) -> None:
    alice, a = await chat.online()
    # The last regional room: no other test talks there, so its count moves only with us.
    room = (await chat.room_of_kind(alice, "region", index=-1))["id"]
    before = await chat.room(alice, room)
    assert before is not None
    await chat.join(a, room)
    after = await chat.room(alice, room)
    assert after is not None
    assert after["members"] >= before["members"] + 1
    assert after.get("joined") is True


async def test_age_band_room_refuses_an_age_outside_the_band(chat: Harness) -> None:
    probe = await chat.user()
    # A band with an upper bound, so that both a younger and an older adult exist around it.
    band = next(r for r in await chat.rooms(probe) if r["kind"] == "age" and r.get("max_age") is not None)
    inside, outside = band["min_age"], band["max_age"] + 1

    _, young = await chat.online(age=inside)
    joined = await chat.join(young, band["id"])
    assert isinstance(joined["history"], list)

    _, other = await chat.online(age=outside)
    await other.send(t="join", room=band["id"])
    await other.expect_error("not_allowed")


async def test_joining_an_unknown_room_is_not_found(chat: Harness) -> None:
    _, a = await chat.online()
    await a.send(t="join", room="no-such-room")
    await a.expect_error("not_found")


async def test_private_room_is_invitation_only(chat: Harness) -> None:
    owner, o = await chat.online("owner")
    bob, b = await chat.online("bob")
    carol = await chat.user("carol")

    room = await chat.create_room(owner, "Club lecture", "Les livres du mois")
    assert room["kind"] == "private"
    assert room["name"] == "Club lecture"
    assert room.get("cap") == SHARED_PRIVATE_ROOM_CAP
    await chat.join(o, room["id"])
    assert await chat.room(bob, room["id"]) is None, "a private room is listed only to members and invitees"

    await b.send(t="join", room=room["id"])
    await b.expect_error("not_invited")

    resp = await chat.invite(owner, room["id"], bob)
    assert resp.status_code == 201, resp.text
    assert user_id(resp.json()["user"]) == bob.id
    invited = await b.expect("invited")
    assert invited["room"]["id"] == room["id"]
    assert user_id(invited["by"]) == owner.id
    assert await chat.room(bob, room["id"]) is not None, "an invitee sees the room"
    assert await chat.room(carol, room["id"]) is None

    joined = await chat.join(b, room["id"])
    assert joined["history"] == []


async def test_only_members_may_invite_to_a_private_room(chat: Harness) -> None:
    owner, _o = await chat.online("owner")
    outsider = await chat.user("out")
    target = await chat.user("target")
    room = await chat.create_room(owner)
    resp = await chat.invite(outsider, room["id"], target)
    assert resp.status_code in (403, 404), resp.text
    assert error_code(resp.json()) in ("not_member", "not_found")
    missing = await chat.invite(owner, "r-does-not-exist", target)
    assert missing.status_code == 404
    assert error_code(missing.json()) == "not_found"


async def test_private_room_refuses_invites_once_full(chat: Harness) -> None:
    owner, o = await chat.online("owner")
    room = await chat.create_room(owner)
    await chat.join(o, room["id"])
    cap = room["cap"]
    assert cap == SHARED_PRIVATE_ROOM_CAP  # set by CAUSETTE_PRIVATE_ROOM_CAP on the shared server
    for _ in range(cap - 1):
        guest, g = await chat.online("guest")
        resp = await chat.invite(owner, room["id"], guest)
        assert resp.status_code == 201, resp.text
        await chat.join(g, room["id"])
    latecomer = await chat.user("late")
    resp = await chat.invite(owner, room["id"], latecomer)
    assert 400 <= resp.status_code < 500, resp.text
    assert error_code(resp.json()) == "room_full"


async def test_private_room_name_is_checked(chat: Harness) -> None:
    owner = await chat.user("owner")
    for name in ("ab", "x" * 41):
        resp = await chat.http.post("/api/v1/rooms", json={"name": name}, headers=owner.headers)
        assert resp.status_code == 400, resp.text
        assert error_code(resp.json()) == "name_invalid"
    resp = await chat.http.post("/api/v1/rooms", json={"topic": "sans nom"}, headers=owner.headers)
    assert resp.status_code == 400
    assert error_code(resp.json()) in ("bad_request", "name_invalid")
