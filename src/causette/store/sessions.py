"""Chatter sessions: declared identity, expiry, revocation and the pseudonym lease."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.domain.models import User
from causette.store.database import reading
from causette.store.tables import users


class SessionRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def skeleton_leased(self, skeleton: str, now: int) -> bool:
        """Whether a living session holds a pseudonym with this skeleton."""
        async with reading(self._engine) as conn:
            row = await conn.execute(
                select(users.c.id)
                .where(users.c.skeleton == skeleton, users.c.lease_until > now, users.c.revoked_at.is_(None))
                .limit(1)
            )
            return row.first() is not None

    async def create(
        self,
        user: User,
        now: int,
        expires_at: int,
        lease_until: int,
        device_id: str | None = None,
        address: str | None = None,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                users.insert().values(
                    id=user.id,
                    pseudonym=user.pseudonym,
                    skeleton=user.skeleton,
                    age=user.age,
                    gender=user.gender,
                    departement=user.departement,
                    region=user.region,
                    created_at=now,
                    expires_at=expires_at,
                    revoked_at=None,
                    lease_until=lease_until,
                    device_id=device_id,
                    address=address,
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
            row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
        if row is None:
            return None
        return _user(row), int(row.expires_at), row.revoked_at

    async def get_many(self, ids: list[str]) -> dict[str, User]:
        if not ids:
            return {}
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(users).where(users.c.id.in_(ids)))
            return {r.id: _user(r) for r in rows}

    async def extend_leases(self, ids: list[str], lease_until: int) -> None:
        if not ids:
            return
        async with self._engine.begin() as conn:
            for start in range(0, len(ids), 500):
                await conn.execute(
                    update(users)
                    .where(and_(users.c.id.in_(ids[start : start + 500]), users.c.revoked_at.is_(None)))
                    .values(lease_until=lease_until)
                )

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
