"""Chatter sessions: declared identity, expiry, revocation and the pseudonym lease."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.domain.models import User
from causette.store.batching import GroupCommit
from causette.store.database import now_ms, reading, writing
from causette.store.tables import users

# Built once: every connect runs them (building one cost more than running it).
_GET = select(users).where(users.c.id == bindparam("user"))
_GET_MANY = select(users).where(users.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(slots=True)
class Entry:
    user: User
    created_at: int
    expires_at: int
    lease_until: int
    device_id: str | None = None
    address: str | None = None


class SessionRepository:
    def __init__(self, engine: AsyncEngine, max_batch: int = 512) -> None:
        self._engine = engine
        self._entries: GroupCommit[Entry, bool] = GroupCommit("session-writer", self._enter_batch, max_batch)

    def start(self) -> None:
        self._entries.start()

    async def stop(self) -> None:
        await self._entries.stop()

    def enter(self, entry: Entry) -> asyncio.Future[bool]:
        """Create the session of `entry` unless a living session holds a pseudonym with the same
        skeleton. The future resolves, once the transaction has committed, to False for a taken
        name. Entries arriving together share one transaction (and one fsync): the first of two
        entries of one skeleton in a batch wins."""
        return self._entries.submit(entry)

    async def _enter_batch(self, batch: list[Entry]) -> list[bool]:
        return await writing(self._engine, _enter_batch, batch, now_ms())

    async def create(
        self,
        user: User,
        now: int,
        expires_at: int,
        lease_until: int,
        device_id: str | None = None,
        address: str | None = None,
    ) -> None:
        """Insert a session as it is (no check of its name: `enter` checks)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                users.insert().values(
                    _user_row(Entry(user, now, expires_at, lease_until, device_id, address))
                )
            )

    async def unrevoke(self, user_id: str) -> None:
        """A ban reversed on appeal: the session lives again until its own expiry."""
        async with self._engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(revoked_at=None))

    async def network_of(self, user_id: str) -> tuple[str | None, str | None]:
        """(device cookie, address) the session entered from."""
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(select(users.c.device_id, users.c.address).where(users.c.id == user_id))
            ).first()
        return (None, None) if row is None else (row.device_id, row.address)

    async def ids_of_device(self, device_id: str) -> list[str]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(users.c.id).where(users.c.device_id == device_id))
            return [r.id for r in rows]

    async def get(self, user_id: str) -> tuple[User, int, int | None] | None:
        """(user, expires_at, revoked_at) or None."""
        async with reading(self._engine) as conn:
            row = (await conn.execute(_GET, {"user": user_id})).first()
        if row is None:
            return None
        return _user(row), int(row.expires_at), row.revoked_at

    async def get_many(self, ids: list[str]) -> dict[str, User]:
        if not ids:
            return {}
        async with reading(self._engine) as conn:
            rows = await conn.execute(_GET_MANY, {"ids": ids})
            return {r.id: _user(r) for r in rows}

    async def extend_leases(self, ids: list[str], lease_until: int) -> None:
        if ids:
            await writing(self._engine, _extend_leases, ids, lease_until)

    async def revoked_unexpired(self, now: int) -> set[str]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(users.c.id).where(users.c.revoked_at.is_not(None), users.c.expires_at > now)
            )
            return {r.id for r in rows}

    async def revoke(self, user_id: str, now: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.id == user_id).values(revoked_at=now, lease_until=now)
            )


def _user(row: Any) -> User:
    r = row
    return User(
        id=r.id,
        pseudonym=r.pseudonym,
        skeleton=r.skeleton,
        age=int(r.age),
        gender=r.gender,
        departement=r.departement,
        region=r.region,
    )


def _user_row(e: Entry) -> dict[str, Any]:
    u = e.user
    return {
        "id": u.id,
        "pseudonym": u.pseudonym,
        "skeleton": u.skeleton,
        "age": u.age,
        "gender": u.gender,
        "departement": u.departement,
        "region": u.region,
        "created_at": e.created_at,
        "expires_at": e.expires_at,
        "revoked_at": None,
        "lease_until": e.lease_until,
        "device_id": e.device_id,
        "address": e.address,
    }


def _enter_batch(conn: Connection, batch: list[Entry], now: int) -> list[bool]:
    """The session writer's transaction (in the SQLite writer thread: no await)."""
    skeletons = list({e.user.skeleton for e in batch})
    taken: set[str] = set()
    for start in range(0, len(skeletons), 500):
        rows = conn.execute(
            select(users.c.skeleton).where(
                users.c.skeleton.in_(skeletons[start : start + 500]),
                users.c.lease_until > now,
                users.c.revoked_at.is_(None),
            )
        )
        taken.update(r.skeleton for r in rows)
    created: list[bool] = []
    rows_out: list[dict[str, Any]] = []
    for e in batch:
        if e.user.skeleton in taken:
            created.append(False)
            continue
        taken.add(e.user.skeleton)
        created.append(True)
        rows_out.append(_user_row(e))
    if rows_out:
        conn.execute(users.insert(), rows_out)
    return created


def _extend_leases(conn: Connection, ids: list[str], lease_until: int) -> None:
    for start in range(0, len(ids), 500):
        conn.execute(
            update(users)
            .where(and_(users.c.id.in_(ids[start : start + 500]), users.c.revoked_at.is_(None)))
            .values(lease_until=lease_until)
        )
