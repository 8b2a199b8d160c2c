"""Rooms, conversation rows, memberships and private-room invitations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from causette.domain.models import Room, RoomKind
from causette.store.database import reading
from causette.store.tables import conversations, invites, memberships, rooms


def insert_or_ignore(conn: AsyncConnection, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: nodes of a cluster that start together, or two requests
    that create one row at once, must not fail on the second insert."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


async def ensure_conversation(conn: AsyncConnection, conv: str, kind: str) -> None:
    await conn.execute(insert_or_ignore(conn, conversations).values(id=conv, kind=kind, last_seq=0))


# Built once: the connect of every socket runs it.
_CONVERSATIONS_OF = select(memberships.c.conv_id).where(memberships.c.user_id == bindparam("user"))


class RoomRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def sync_catalogue(self, catalogue: Iterable[Room], now: int) -> set[str]:
        """Make the operator's rooms (config) the active public rooms; keep their history.
        Rooms a moderator closed stay closed; their ids are returned."""
        wanted = list(catalogue)
        async with self._engine.begin() as conn:
            for pos, room in enumerate(wanted):
                await ensure_conversation(conn, room.id, "room")
                values = {
                    "name": room.name,
                    "kind": room.kind.value,
                    "topic": room.topic,
                    "region": room.region,
                    "min_age": room.min_age,
                    "max_age": room.max_age,
                    "position": pos,
                    "active": True,
                }
                await conn.execute(insert_or_ignore(conn, rooms).values(id=room.id, created_at=now, **values))
                found = (await conn.execute(select(rooms.c.closed_at).where(rooms.c.id == room.id))).one()
                if found.closed_at is not None:
                    values["active"] = False
                await conn.execute(update(rooms).where(rooms.c.id == room.id).values(**values))
            ids = [r.id for r in wanted]
            await conn.execute(
                update(rooms)
                .where(rooms.c.kind != RoomKind.PRIVATE.value, rooms.c.id.not_in(ids))
                .values(active=False)
            )
            closed = await conn.execute(select(rooms.c.id).where(rooms.c.closed_at.is_not(None)))
            return {r.id for r in closed}

    async def set_closed(self, room_id: str, closed: bool, now: int) -> bool:
        """A moderator closes a room (members leave it, it is no longer listed) or reopens it."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(rooms)
                .where(rooms.c.id == room_id)
                .values(closed_at=now if closed else None, active=not closed)
            )
            if closed:
                await conn.execute(delete(memberships).where(memberships.c.conv_id == room_id))
            return bool(res.rowcount == 1)

    async def active(self) -> list[Room]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(rooms).where(rooms.c.active.is_(True)).order_by(rooms.c.position, rooms.c.created_at)
            )
            return [_room(r) for r in rows]

    async def get(self, room_id: str) -> Room | None:
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(select(rooms).where(rooms.c.id == room_id, rooms.c.active.is_(True)))
            ).first()
        return None if row is None else _room(row)

    async def create_private(self, room: Room, now: int) -> None:
        async with self._engine.begin() as conn:
            await ensure_conversation(conn, room.id, "room")
            await conn.execute(
                rooms.insert().values(
                    id=room.id,
                    name=room.name,
                    kind=room.kind.value,
                    topic=room.topic,
                    owner_id=room.owner_id,
                    cap=room.cap,
                    position=10_000,
                    active=True,
                    created_at=now,
                )
            )
            await conn.execute(
                memberships.insert().values(conv_id=room.id, user_id=room.owner_id, joined_at=now)
            )

    async def count_owned(self, user_id: str) -> int:
        async with reading(self._engine) as conn:
            n = await conn.execute(
                select(func.count())
                .select_from(rooms)
                .where(rooms.c.owner_id == user_id, rooms.c.active.is_(True))
            )
            return int(n.scalar_one())

    async def add_member(self, conv: str, user_id: str, now: int) -> bool:
        """Add a membership; False if it already existed."""
        async with self._engine.begin() as conn:
            # Two sockets of one session on two nodes may join at once: one row, one True.
            res = await conn.execute(
                insert_or_ignore(conn, memberships).values(conv_id=conv, user_id=user_id, joined_at=now)
            )
            return bool(res.rowcount == 1)

    async def remove_member(self, conv: str, user_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(memberships).where(memberships.c.conv_id == conv, memberships.c.user_id == user_id)
            )

    async def member_count(self, conv: str) -> int:
        async with reading(self._engine) as conn:
            n = await conn.execute(
                select(func.count()).select_from(memberships).where(memberships.c.conv_id == conv)
            )
            return int(n.scalar_one())

    async def conversations_of(self, user_id: str) -> list[str]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(_CONVERSATIONS_OF, {"user": user_id})
            return [r.conv_id for r in rows]

    async def members_of(self, conv: str) -> list[str]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(memberships.c.user_id).where(memberships.c.conv_id == conv))
            return [r.user_id for r in rows]

    async def invite(self, room_id: str, user_id: str, by_id: str, now: int) -> None:
        async with self._engine.begin() as conn:
            found = (
                await conn.execute(
                    select(invites.c.user_id).where(
                        invites.c.room_id == room_id, invites.c.user_id == user_id
                    )
                )
            ).first()
            if found is None:
                await conn.execute(
                    invites.insert().values(room_id=room_id, user_id=user_id, by_id=by_id, at=now)
                )

    async def is_invited(self, room_id: str, user_id: str) -> bool:
        async with reading(self._engine) as conn:
            found = (
                await conn.execute(
                    select(invites.c.user_id).where(
                        invites.c.room_id == room_id, invites.c.user_id == user_id
                    )
                )
            ).first()
            return found is not None

    async def private_rooms_visible_to(self, user_id: str) -> list[Room]:
        async with reading(self._engine) as conn:
            member = select(memberships.c.conv_id).where(memberships.c.user_id == user_id)
            invited = select(invites.c.room_id).where(invites.c.user_id == user_id)
            rows = await conn.execute(
                select(rooms)
                .where(
                    rooms.c.kind == RoomKind.PRIVATE.value,
                    rooms.c.active.is_(True),
                    or_(rooms.c.id.in_(member), rooms.c.id.in_(invited)),
                )
                .order_by(rooms.c.created_at)
            )
            return [_room(r) for r in rows]


def _room(r: Any) -> Room:
    row = r
    return Room(
        id=row.id,
        name=row.name,
        kind=RoomKind(row.kind),
        topic=row.topic,
        region=row.region,
        min_age=row.min_age,
        max_age=row.max_age,
        owner_id=row.owner_id,
        cap=row.cap,
    )
