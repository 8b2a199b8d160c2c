"""Scenario building blocks on top of ChatClient: people who enter, connect, join and talk.

One `Harness` per test. It closes every socket it opened when the test ends, so the shared server
sees clean disconnects between tests.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.client import ChatClient, Frame, enter, error_code, unique_cid, unique_pseudonym
from tests.support.server import ServerProcess

_texts = itertools.count(1)


def benign_text(label: str = "message") -> str:
    """A short, ordinary French sentence, different every call (no flood detector sees repeats)."""
    return f"{label} numéro {next(_texts)}, on se retrouve au café du coin pour discuter"


_WORDS = (
    "le matin",
    "nous avons",
    "marché",
    "le long",
    "de la",
    "rivière",
    "avant",
    "un café",
    "chez",
    "des amis",
    "puis",
    "une balade",
    "au jardin",
    "sous",
    "le soleil",
    "et",
    "parlé",
    "de livres",
    "de musique",
    "pendant",
    "des heures",
)


def text_of_length(length: int) -> str:
    """Ordinary prose of exactly `length` characters (ASCII-safe apart from a few accents)."""
    words: list[str] = []
    size = 0
    i = 0
    while size < length:
        word = _WORDS[(i * 5) % len(_WORDS)]
        words.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(words)[:length].rstrip().ljust(length, ".")


def user_id(value: Any) -> Any:
    """The id of a user given either as an id or as a User object."""
    return value.get("id") if isinstance(value, dict) else value


@dataclass(frozen=True)
class Entrant:
    """Someone who entered: a token and the public User the server returned."""

    token: str
    user: dict[str, Any]

    @property
    def id(self) -> Any:
        return self.user["id"]

    @property
    def pseudonym(self) -> str:
        return str(self.user["pseudonym"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Harness:
    """People, sockets and rooms on one server, for one test."""

    def __init__(self, server: ServerProcess, http: httpx.AsyncClient) -> None:
        self.server = server
        self.http = http
        self.clients: list[ChatClient] = []

    @classmethod
    @asynccontextmanager
    async def on(cls, server: ServerProcess) -> AsyncIterator[Harness]:
        """A harness with its own HTTP client, for a server other than the shared one."""
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False) as http:
            harness = cls(server, http)
            try:
                yield harness
            finally:
                await harness.close_all()

    @property
    def config(self) -> dict[str, Any]:
        return self.server.config

    # -- people ---------------------------------------------------------------------------------------
    async def user(
        self,
        prefix: str = "u",
        *,
        pseudonym: str | None = None,
        age: int = 30,
        gender: str = "f",
        postal_code: str = "75011",
    ) -> Entrant:
        status, body = await enter(
            self.server.base_url,
            pseudonym or unique_pseudonym(prefix),
            age,
            gender,
            postal_code,
            client=self.http,
        )
        assert status == 201, f"entry refused: {status} {body}"
        return Entrant(token=body["token"], user=body["user"])

    async def connect(
        self, who: Entrant | str, resume: dict[Any, int] | None = None, **kw: Any
    ) -> ChatClient:
        token = who.token if isinstance(who, Entrant) else who
        client = ChatClient(self.server.ws_url)
        self.clients.append(client)
        return await client.connect(token, resume, **kw)

    async def online(self, prefix: str = "u", **kw: Any) -> tuple[Entrant, ChatClient]:
        """A user who entered and has one connected socket."""
        who = await self.user(prefix, **kw)
        return who, await self.connect(who)

    async def close_all(self) -> None:
        for client in self.clients:
            if not client.closed:
                await client.close()
        self.clients.clear()

    # -- REST ---------------------------------------------------------------------------------------
    async def rooms(self, who: Entrant) -> list[dict[str, Any]]:
        resp = await self.http.get("/api/v1/rooms", headers=who.headers)
        assert resp.status_code == 200, f"GET /api/v1/rooms: {resp.status_code} {resp.text[:300]}"
        rooms = resp.json()
        assert isinstance(rooms, list), rooms
        return rooms

    async def room(self, who: Entrant, room_id: Any) -> dict[str, Any] | None:
        return next((r for r in await self.rooms(who) if r["id"] == room_id), None)

    async def room_of_kind(self, who: Entrant, kind: str, index: int = 0) -> dict[str, Any]:
        rooms = [r for r in await self.rooms(who) if r.get("kind") == kind]
        assert rooms, f"no room of kind {kind!r}"
        return rooms[index]

    async def theme_room(self, who: Entrant) -> Any:
        return (await self.room_of_kind(who, "theme"))["id"]

    async def create_room(self, owner: Entrant, name: str = "Les amis du jardin", topic: str = "") -> Frame:
        resp = await self.http.post(
            "/api/v1/rooms", json={"name": name, "topic": topic}, headers=owner.headers
        )
        assert resp.status_code == 201, f"POST /api/v1/rooms: {resp.status_code} {resp.text[:300]}"
        return dict(resp.json())

    async def invite(self, by: Entrant, room_id: Any, who: Entrant) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/rooms/{room_id}/invites", json={"user": who.id}, headers=by.headers
        )

    async def users(self, who: Entrant, **params: Any) -> list[dict[str, Any]]:
        resp = await self.http.get("/api/v1/users", params=params, headers=who.headers)
        assert resp.status_code == 200, f"GET /api/v1/users {params}: {resp.status_code} {resp.text[:300]}"
        return list(resp.json())

    async def end_session(self, who: Entrant) -> None:
        resp = await self.http.delete("/api/v1/sessions/current", headers=who.headers)
        assert resp.status_code == 204, (
            f"DELETE /api/v1/sessions/current: {resp.status_code} {resp.text[:200]}"
        )

    # -- chat -------------------------------------------------------------------------------------------
    async def join(self, client: ChatClient, room_id: Any) -> Frame:
        await client.send(t="join", room=room_id)
        return await client.expect(lambda f: f.get("t") == "joined" and f.get("conv") == room_id)

    async def say(
        self, client: ChatClient, conv: Any, text: str | None = None, cid: str | None = None
    ) -> Frame:
        """Send one message and wait for its ack."""
        cid = cid or unique_cid()
        await client.send(t="say", conv=conv, text=text or benign_text(), cid=cid)
        return await client.expect("ack", cid=cid)

    async def say_many(self, client: ChatClient, conv: Any, texts: list[str]) -> list[Frame]:
        """Send all messages at once (pipelined), then collect the acks, in the order sent."""
        cids = [unique_cid() for _ in texts]
        for cid, text in zip(cids, texts, strict=True):
            await client.send(t="say", conv=conv, text=text, cid=cid)
        return [await client.expect("ack", timeout=10, cid=cid) for cid in cids]

    async def private_room(
        self, owner: tuple[Entrant, ChatClient], *members: tuple[Entrant, ChatClient]
    ) -> Any:
        """A fresh private room of `owner` that `members` were invited to and joined."""
        room = await self.create_room(owner[0])
        await self.join(owner[1], room["id"])
        for who, client in members:
            resp = await self.invite(owner[0], room["id"], who)
            assert resp.status_code == 201, f"invite: {resp.status_code} {resp.text[:300]}"
            await self.join(client, room["id"])
        return room["id"]

    async def open_pm(self, a: tuple[Entrant, ChatClient], b: tuple[Entrant, ChatClient], text: str) -> Any:
        """A private conversation between a and b, opened by a's request and b's acceptance."""
        cid = unique_cid()
        await a[1].send(t="pm_request", to=b[0].id, text=text, cid=cid)
        await a[1].expect("ack", cid=cid)
        request = await b[1].expect("pm_request")
        await b[1].send(t="pm_answer", request=request["request"], accept=True)
        opened_a = await a[1].expect("pm_open")
        opened_b = await b[1].expect("pm_open")
        assert opened_a["conv"] == opened_b["conv"], (opened_a, opened_b)
        return opened_a["conv"]


__all__ = ["Entrant", "Harness", "benign_text", "error_code", "user_id"]
