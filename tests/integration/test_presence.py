"""Who is here: GET /api/v1/users and presence frames (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.client import ChatClient
from tests.support.harness import Harness


def ids(users: list[dict[str, Any]]) -> set[Any]:
    return {u["id"] for u in users}


async def test_user_list_needs_a_bearer_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/v1/users")).status_code == 401


async def test_user_list_shows_connected_users_and_filters_them(chat: Harness) -> None:
    alice, _ = await chat.online("alice", age=30, gender="f", postal_code="75011")  # Île-de-France
    bob, _ = await chat.online("bob", age=45, gender="m", postal_code="13001")  # Provence
    carol, _ = await chat.online("carol", age=22, gender="x", postal_code="92100")  # Île-de-France
    absent = await chat.user("absent")  # entered, never connected

    everyone = await chat.users(alice)
    assert {alice.id, bob.id, carol.id} <= ids(everyone)
    assert absent.id not in ids(everyone), "only connected users are listed"
    listed = next(u for u in everyone if u["id"] == bob.id)
    assert listed["departement"] == "13" and listed["gender"] == "m" and listed["age"] == 45
    assert "13001" not in str(everyone)

    men = await chat.users(alice, gender="m")
    assert bob.id in ids(men) and alice.id not in ids(men) and carol.id not in ids(men)
    assert all(u["gender"] == "m" for u in men)

    older = await chat.users(alice, age_min=40)
    assert bob.id in ids(older) and carol.id not in ids(older)
    assert all(u["age"] >= 40 for u in older)

    young = await chat.users(alice, age_max=25)
    assert carol.id in ids(young) and bob.id not in ids(young) and alice.id not in ids(young)
    assert all(u["age"] <= 25 for u in young)

    band = await chat.users(alice, age_min=25, age_max=35)
    assert alice.id in ids(band) and bob.id not in ids(band) and carol.id not in ids(band)

    mine = await chat.users(alice, region="mine")
    assert {alice.id, carol.id} <= ids(mine) and bob.id not in ids(mine)
    assert all(u["region"] == alice.user["region"] for u in mine)

    provence = await chat.users(alice, region=bob.user["region"])
    assert bob.id in ids(provence) and alice.id not in ids(provence)


async def test_user_list_hides_users_blocked_either_way(chat: Harness) -> None:
    alice, a = await chat.online("alice")
    bob, _ = await chat.online("bob")
    await a.send(t="block", user=bob.id)
    await a.expect("blocked")
    assert bob.id not in ids(await chat.users(alice))
    assert alice.id not in ids(await chat.users(bob))


async def _presence(client: ChatClient, key: str, user: Any, timeout: float = 4.0) -> dict[str, Any]:  # noqa: ASYNC109
    """The presence frame in which `user` comes (key "online") or goes (key "offline")."""

    def about(frame: dict[str, Any]) -> bool:
        if frame.get("t") != "presence":
            return False
        entries = frame.get(key) or []
        return any((e.get("id") if isinstance(e, dict) else e) == user for e in entries)

    return await client.expect(about, timeout)


async def test_presence_announces_arrivals_and_ended_sessions(chat: Harness) -> None:
    _, a = await chat.online("alice")
    bob, b = await chat.online("bob", age=41, gender="m", postal_code="69003")
    came = await _presence(a, "online", bob.id)
    listed = next(u for u in came["online"] if u["id"] == bob.id)
    assert listed["pseudonym"] == bob.pseudonym
    assert listed["departement"] == "69"

    await chat.end_session(bob)
    assert await b.wait_closed() == 4001
    await _presence(a, "offline", bob.id)
    assert bob.id not in ids(await chat.users(await chat.user()))


async def test_ended_session_frees_its_pseudonym(chat: Harness) -> None:
    bob, _ = await chat.online("bob")
    await chat.end_session(bob)
    again = await chat.user(pseudonym=bob.pseudonym)
    assert again.pseudonym == bob.pseudonym
    assert again.id != bob.id
