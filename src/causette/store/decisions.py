"""Moderators' decisions (statements of reasons, restrictions in force) and appeals against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from causette.store.database import StoreError, reading
from causette.store.tables import appeals, decisions

# Statements built once: the connect of every socket runs them (building one cost more than
# running it).
_TIMED_OUT_UNTIL = select(func.max(decisions.c.until)).where(
    decisions.c.subject_id == bindparam("user"),
    decisions.c.action == "timeout",
    decisions.c.status == "in_force",
    decisions.c.until > bindparam("now"),
)
# A ban in force on a device cookie or an address prefix (None matches nothing).
_BAN_FOR = (
    select(decisions)
    .where(
        or_(
            and_(decisions.c.ban_device.is_(True), decisions.c.subject_device == bindparam("device")),
            decisions.c.ban_ip_prefix == bindparam("prefix"),
        ),
        decisions.c.action == "ban",
        decisions.c.status == "in_force",
        decisions.c.network_until > bindparam("now"),
    )
    .order_by(decisions.c.created_at.desc())
    .limit(1)
)


@dataclass(frozen=True, slots=True)
class DecisionRow:
    id: str
    case_id: str
    moderator_id: str
    moderator_name: str
    action: str
    ground: str
    facts: str
    target: str
    subject_id: str | None
    subject_device: str | None
    until: int | None
    ban_device: bool
    ban_ip_prefix: str | None
    network_until: int | None
    automated_detection: bool
    status: str
    created_at: int
    appeal_until: int
    appeal_key: str
    reversed_at: int | None = None


@dataclass(frozen=True, slots=True)
class AppealRow:
    id: str
    decision_id: str
    text: str
    at: int
    status: str
    decided_by: str | None
    decided_at: int | None
    reply: str | None


class AppealExists(StoreError):
    pass


class DecisionRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, row: DecisionRow) -> None:
        values = {name: getattr(row, name) for name in DecisionRow.__slots__}
        async with self._engine.begin() as conn:
            await conn.execute(decisions.insert().values(**values))

    async def get(self, decision_id: str) -> DecisionRow | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(decisions).where(decisions.c.id == decision_id))).first()
        return None if r is None else _decision(r)

    async def for_cases(self, case_ids: list[str]) -> list[DecisionRow]:
        if not case_ids:
            return []
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(decisions).where(decisions.c.case_id.in_(case_ids)).order_by(decisions.c.created_at)
            )
            return [_decision(r) for r in rows]

    async def of_subjects(self, user_ids: list[str], device: str | None) -> list[DecisionRow]:
        """Decisions about these users or this device, newest first (statements of reasons)."""
        where: list[ColumnElement[bool]] = [decisions.c.subject_id.in_(user_ids)] if user_ids else []
        if device:
            where.append(decisions.c.subject_device == device)
        if not where:
            return []
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(decisions)
                .where(or_(*where), decisions.c.subject_id.is_not(None))
                .order_by(decisions.c.created_at.desc())
                .limit(100)
            )
            return [_decision(r) for r in rows]

    async def timed_out_until(self, user_id: str, now: int) -> int:
        """End (ms) of the user's longest time-out in force, or 0."""
        async with reading(self._engine) as conn:
            value = (await conn.execute(_TIMED_OUT_UNTIL, {"user": user_id, "now": now})).scalar()
        return int(value or 0)

    async def ban_for(self, device: str | None, prefix: str | None, now: int) -> DecisionRow | None:
        """A ban in force on this device cookie or address prefix, if any."""
        if not device and not prefix:
            return None
        # Every entry asks this: the statement is built once (building it cost more than running it).
        async with reading(self._engine) as conn:
            r = (
                await conn.execute(_BAN_FOR, {"device": device or None, "prefix": prefix or None, "now": now})
            ).first()
        return None if r is None else _decision(r)

    async def user_banned(self, user_id: str, now: int) -> bool:
        async with reading(self._engine) as conn:
            r = (
                await conn.execute(
                    select(decisions.c.id)
                    .where(
                        decisions.c.subject_id == user_id,
                        decisions.c.action == "ban",
                        decisions.c.status == "in_force",
                        or_(decisions.c.until.is_(None), decisions.c.until > now),
                    )
                    .limit(1)
                )
            ).first()
        return r is not None

    async def reverse(self, decision_id: str, now: int) -> bool:
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(decisions)
                .where(decisions.c.id == decision_id, decisions.c.status == "in_force")
                .values(status="reversed", reversed_at=now)
            )
            return bool(res.rowcount == 1)

    # --- appeals ---------------------------------------------------------------------------------
    async def create_appeal(self, row: AppealRow) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    appeals.insert().values(
                        id=row.id,
                        decision_id=row.decision_id,
                        text=row.text,
                        at=row.at,
                        status=row.status,
                    )
                )
        except IntegrityError as exc:
            raise AppealExists(row.decision_id) from exc

    async def appeal(self, appeal_id: str) -> AppealRow | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(appeals).where(appeals.c.id == appeal_id))).first()
        return None if r is None else _appeal(r)

    async def appeals_of(self, decision_ids: list[str]) -> dict[str, AppealRow]:
        if not decision_ids:
            return {}
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(appeals).where(appeals.c.decision_id.in_(decision_ids)))
            return {r.decision_id: _appeal(r) for r in rows}

    async def open_appeals(self, limit: int = 100) -> list[AppealRow]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(appeals).where(appeals.c.status == "open").order_by(appeals.c.at).limit(limit)
            )
            return [_appeal(r) for r in rows]

    async def decide_appeal(
        self, appeal_id: str, status: str, moderator_id: str, reply: str, now: int
    ) -> bool:
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(appeals)
                .where(appeals.c.id == appeal_id, appeals.c.status == "open")
                .values(status=status, decided_by=moderator_id, decided_at=now, reply=reply)
            )
            return bool(res.rowcount == 1)


def _decision(r: Any) -> DecisionRow:
    return DecisionRow(
        r.id,
        r.case_id,
        r.moderator_id,
        r.moderator_name,
        r.action,
        r.ground,
        r.facts,
        r.target,
        r.subject_id,
        r.subject_device,
        None if r.until is None else int(r.until),
        bool(r.ban_device),
        r.ban_ip_prefix,
        None if r.network_until is None else int(r.network_until),
        bool(r.automated_detection),
        r.status,
        int(r.created_at),
        int(r.appeal_until),
        r.appeal_key,
        None if r.reversed_at is None else int(r.reversed_at),
    )


def _appeal(r: Any) -> AppealRow:
    return AppealRow(
        r.id,
        r.decision_id,
        r.text,
        int(r.at),
        r.status,
        r.decided_by,
        None if r.decided_at is None else int(r.decided_at),
        r.reply,
    )
