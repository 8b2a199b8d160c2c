"""Safety events: what the safety engine labelled, kept for the moderators (and held messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.database import reading
from causette.store.tables import safety_events, users


@dataclass(frozen=True, slots=True)
class SafetyEvent:
    id: str
    at: int
    user_id: str
    channel: str
    conv_id: str | None
    seq: int | None
    recipient_id: str | None
    cid: str | None
    text: str
    action: str
    labels: list[str]
    severities: dict[str, str]
    reasons: list[str]
    evidence: list[dict[str, Any]]
    open_case: bool
    escalate: bool
    status: str


# Built once: the connect of every socket runs it.
_USER_FLAGS = select(users.c.apparent_minor, users.c.restrictions).where(users.c.id == bindparam("user"))


class SafetyEventRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, event: SafetyEvent) -> SafetyEvent:
        """Store an event; a retried (user, conv, cid) returns the first one stored."""
        async with self._engine.begin() as conn:
            if event.cid is not None:
                row = (
                    await conn.execute(
                        select(safety_events).where(
                            safety_events.c.user_id == event.user_id,
                            safety_events.c.conv_id == event.conv_id,
                            safety_events.c.cid == event.cid,
                        )
                    )
                ).first()
                if row is not None:
                    return _event(row)
            await conn.execute(
                safety_events.insert().values(
                    id=event.id,
                    at=event.at,
                    user_id=event.user_id,
                    channel=event.channel,
                    conv_id=event.conv_id,
                    seq=event.seq,
                    recipient_id=event.recipient_id,
                    cid=event.cid,
                    text=event.text,
                    action=event.action,
                    labels=orjson.dumps(event.labels).decode(),
                    severities=orjson.dumps(event.severities).decode(),
                    reasons=orjson.dumps(event.reasons).decode(),
                    evidence=orjson.dumps(event.evidence).decode(),
                    open_case=event.open_case,
                    escalate=event.escalate,
                    status=event.status,
                )
            )
        return event

    async def in_conversation(self, conv: str, first_seq: int, last_seq: int) -> list[SafetyEvent]:
        """Decisions about the delivered messages of a conversation between two seqs."""
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(safety_events)
                .where(
                    safety_events.c.conv_id == conv,
                    safety_events.c.seq >= first_seq,
                    safety_events.c.seq <= last_seq,
                )
                .order_by(safety_events.c.seq)
            )
            return [_event(r) for r in rows]

    async def recent(self, limit: int = 100, status: str | None = None) -> list[SafetyEvent]:
        q = select(safety_events)
        if status is not None:
            q = q.where(safety_events.c.status == status)
        async with reading(self._engine) as conn:
            rows = await conn.execute(q.order_by(safety_events.c.at.desc()).limit(limit))
            return [_event(r) for r in rows]

    async def get(self, event_id: str) -> SafetyEvent | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(safety_events).where(safety_events.c.id == event_id))).first()
        return None if r is None else _event(r)

    async def set_status(self, event_id: str, from_status: str, to_status: str) -> bool:
        """Move an event on (a held message released or rejected by a moderator), once."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(safety_events)
                .where(safety_events.c.id == event_id, safety_events.c.status == from_status)
                .values(status=to_status)
            )
            return bool(res.rowcount == 1)

    async def clear_restriction(self, user_id: str, restriction: str) -> bool:
        """Lift a restriction the engine set pending review; True if the user had it."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(users.c.restrictions).where(users.c.id == user_id))).first()
            if row is None:
                return False
            current = {r for r in str(row.restrictions).split(",") if r}
            if restriction not in current:
                return False
            await conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(restrictions=",".join(sorted(current - {restriction})))
            )
            return True

    async def mark_user(self, user_id: str, *, apparent_minor: bool = False, restriction: str = "") -> None:
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(users.c.restrictions).where(users.c.id == user_id))).first()
            if row is None:
                return
            values: dict[str, Any] = {}
            if apparent_minor:
                values["apparent_minor"] = True
            if restriction:
                current = {r for r in str(row.restrictions).split(",") if r}
                values["restrictions"] = ",".join(sorted(current | {restriction}))
            if values:
                await conn.execute(update(users).where(users.c.id == user_id).values(**values))

    async def user_flags(self, user_id: str) -> tuple[bool, frozenset[str]]:
        async with reading(self._engine) as conn:
            row = (await conn.execute(_USER_FLAGS, {"user": user_id})).first()
        if row is None:
            return False, frozenset()
        return bool(row.apparent_minor), frozenset(r for r in str(row.restrictions).split(",") if r)


def _event(r: Any) -> SafetyEvent:
    return SafetyEvent(
        id=r.id,
        at=int(r.at),
        user_id=r.user_id,
        channel=r.channel,
        conv_id=r.conv_id,
        seq=r.seq,
        recipient_id=r.recipient_id,
        cid=r.cid,
        text=r.text,
        action=r.action,
        labels=orjson.loads(r.labels),
        severities=orjson.loads(r.severities),
        reasons=orjson.loads(r.reasons),
        evidence=orjson.loads(r.evidence),
        open_case=bool(r.open_case),
        escalate=bool(r.escalate),
        status=r.status,
    )
