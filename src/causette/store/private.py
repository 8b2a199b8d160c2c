"""Private-message requests, private conversations and blocks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.domain.models import PmRequestRecord, RequestStatus
from causette.store.database import reading
from causette.store.rooms import ensure_conversation, insert_or_ignore
from causette.store.tables import blocks, memberships, pm_requests, private_convs

# Statements built once: the connect of every socket runs them (building one cost more than
# running it).
_BLOCKED_BY = select(blocks.c.blocked_id).where(blocks.c.blocker_id == bindparam("user"))
_BLOCKERS_OF = select(blocks.c.blocker_id).where(blocks.c.blocked_id == bindparam("user"))
_INCOMING_OPEN = (
    select(pm_requests)
    .where(pm_requests.c.to_id == bindparam("user"), pm_requests.c.status == RequestStatus.OPEN.value)
    .order_by(pm_requests.c.at)
)
_PRIVATE_CONVS_OF = (
    select(private_convs)
    .where(or_(private_convs.c.user_a == bindparam("user"), private_convs.c.user_b == bindparam("user")))
    .order_by(private_convs.c.created_at)
)


class PrivateRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- blocks --------------------------------------------------------------------------
    async def block(self, blocker: str, blocked: str, now: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert_or_ignore(conn, blocks).values(blocker_id=blocker, blocked_id=blocked, at=now)
            )
            # Blocking closes the open requests between the two, both ways.
            await conn.execute(
                update(pm_requests)
                .where(
                    pm_requests.c.status == RequestStatus.OPEN.value,
                    or_(
                        and_(pm_requests.c.from_id == blocker, pm_requests.c.to_id == blocked),
                        and_(pm_requests.c.from_id == blocked, pm_requests.c.to_id == blocker),
                    ),
                )
                .values(status=RequestStatus.CANCELLED.value, answered_at=now)
            )

    async def unblock(self, blocker: str, blocked: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(blocks).where(blocks.c.blocker_id == blocker, blocks.c.blocked_id == blocked)
            )

    async def blocked_by(self, blocker: str) -> set[str]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(_BLOCKED_BY, {"user": blocker})
            return {r.blocked_id for r in rows}

    async def blockers_of(self, blocked: str) -> set[str]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(_BLOCKERS_OF, {"user": blocked})
            return {r.blocker_id for r in rows}

    async def either_blocked(self, a: str, b: str) -> bool:
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(
                    select(blocks.c.at)
                    .where(
                        or_(
                            and_(blocks.c.blocker_id == a, blocks.c.blocked_id == b),
                            and_(blocks.c.blocker_id == b, blocks.c.blocked_id == a),
                        )
                    )
                    .limit(1)
                )
            ).first()
            return row is not None

    # --- requests -------------------------------------------------------------------------
    async def request_by_cid(self, from_id: str, cid: str) -> PmRequestRecord | None:
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(
                    select(pm_requests).where(pm_requests.c.from_id == from_id, pm_requests.c.cid == cid)
                )
            ).first()
        return None if row is None else _request(row)

    async def get_request(self, request_id: str) -> PmRequestRecord | None:
        async with reading(self._engine) as conn:
            row = (await conn.execute(select(pm_requests).where(pm_requests.c.id == request_id))).first()
        return None if row is None else _request(row)

    async def latest_between(self, from_id: str, to_id: str) -> PmRequestRecord | None:
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(
                    select(pm_requests)
                    .where(pm_requests.c.from_id == from_id, pm_requests.c.to_id == to_id)
                    .order_by(pm_requests.c.at.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _request(row)

    async def open_count(self, from_id: str) -> int:
        async with reading(self._engine) as conn:
            n = await conn.execute(
                select(func.count())
                .select_from(pm_requests)
                .where(pm_requests.c.from_id == from_id, pm_requests.c.status == RequestStatus.OPEN.value)
            )
            return int(n.scalar_one())

    async def create_request(self, req: PmRequestRecord) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                pm_requests.insert().values(
                    id=req.id,
                    from_id=req.from_id,
                    to_id=req.to_id,
                    text=req.text,
                    cid=req.cid,
                    status=req.status.value,
                    at=req.at,
                )
            )

    async def incoming_open(self, to_id: str) -> list[PmRequestRecord]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(_INCOMING_OPEN, {"user": to_id})
            return [_request(r) for r in rows]

    async def decline(self, request_id: str, now: int) -> bool:
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(pm_requests)
                .where(pm_requests.c.id == request_id, pm_requests.c.status == RequestStatus.OPEN.value)
                .values(status=RequestStatus.DECLINED.value, answered_at=now)
            )
            return bool(res.rowcount)

    async def accept(self, request_id: str, conv: str, a: str, b: str, now: int) -> bool:
        """Mark the request accepted and create the conversation with both members, in one
        transaction. False if the request was no longer open."""
        user_a, user_b = sorted((a, b))
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(pm_requests)
                .where(pm_requests.c.id == request_id, pm_requests.c.status == RequestStatus.OPEN.value)
                .values(status=RequestStatus.ACCEPTED.value, answered_at=now, conv_id=conv)
            )
            if not res.rowcount:
                return False
            await ensure_conversation(conn, conv, "pm")
            await conn.execute(
                private_convs.insert().values(id=conv, user_a=user_a, user_b=user_b, created_at=now)
            )
            for uid in (user_a, user_b):
                await conn.execute(memberships.insert().values(conv_id=conv, user_id=uid, joined_at=now))
            return True

    # --- private conversations -----------------------------------------------------------
    async def conversation_between(self, a: str, b: str) -> str | None:
        user_a, user_b = sorted((a, b))
        async with reading(self._engine) as conn:
            row = (
                await conn.execute(
                    select(private_convs.c.id).where(
                        private_convs.c.user_a == user_a, private_convs.c.user_b == user_b
                    )
                )
            ).first()
            return None if row is None else str(row.id)

    async def conversations_of(self, user_id: str) -> list[tuple[str, str]]:
        """[(conv, other user id)] of a user's private conversations."""
        async with reading(self._engine) as conn:
            rows = await conn.execute(_PRIVATE_CONVS_OF, {"user": user_id})
            return [(r.id, r.user_b if r.user_a == user_id else r.user_a) for r in rows]

    async def peers(self, conv: str) -> tuple[str, str] | None:
        async with reading(self._engine) as conn:
            row = (await conn.execute(select(private_convs).where(private_convs.c.id == conv))).first()
            return None if row is None else (row.user_a, row.user_b)


def _request(r: Any) -> PmRequestRecord:
    row = r
    return PmRequestRecord(
        id=row.id,
        from_id=row.from_id,
        to_id=row.to_id,
        text=row.text,
        cid=row.cid,
        status=RequestStatus(row.status),
        at=int(row.at),
        conv=row.conv_id,
    )
