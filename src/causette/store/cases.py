"""Moderation cases and their frozen evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.database import reading
from causette.store.tables import cases, reports


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: str
    target: str
    category: str
    severity: int
    origin: str
    status: str
    reports: int
    created_at: int
    updated_at: int
    evidence: dict[str, Any]
    evidence_sha256: str
    legal_hold: bool
    subject_id: str | None = None
    closed_at: int | None = None


class CaseRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open_for(self, target: str) -> CaseRow | None:
        async with reading(self._engine) as conn:
            r = (
                await conn.execute(select(cases).where(cases.c.target == target, cases.c.status == "open"))
            ).first()
        return None if r is None else _row(r)

    async def create(self, case: CaseRow, report_id: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                cases.insert().values(
                    id=case.id,
                    target=case.target,
                    category=case.category,
                    severity=case.severity,
                    origin=case.origin,
                    status=case.status,
                    reports=case.reports,
                    created_at=case.created_at,
                    updated_at=case.updated_at,
                    evidence=orjson.dumps(case.evidence).decode(),
                    evidence_sha256=case.evidence_sha256,
                    legal_hold=case.legal_hold,
                    subject_id=case.subject_id,
                )
            )
            if report_id is not None:
                await conn.execute(update(reports).where(reports.c.id == report_id).values(case_id=case.id))

    async def join(self, case_id: str, report_id: str, severity: int, origin: str, now: int) -> None:
        """Attach a duplicate report; the case takes the most urgent severity and origin."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(select(cases.c.severity, cases.c.origin).where(cases.c.id == case_id))
            ).first()
            if row is None:
                return
            values: dict[str, Any] = {
                "reports": cases.c.reports + 1,
                "updated_at": now,
                "severity": min(int(row.severity), severity),
            }
            if origin == "trusted" or (origin == "report" and row.origin == "deprioritised"):
                values["origin"] = origin
            await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
            await conn.execute(update(reports).where(reports.c.id == report_id).values(case_id=case_id))

    async def queue(self, limit: int = 100) -> list[CaseRow]:
        """Open cases, most urgent first: severity, then trusted flaggers (DSA art. 22), then
        deprioritised notifiers last (art. 23), then age."""
        rank = case((cases.c.origin == "trusted", 0), (cases.c.origin == "deprioritised", 2), else_=1)
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(cases)
                .where(cases.c.status == "open")
                .order_by(cases.c.severity, rank, cases.c.created_at)
                .limit(limit)
            )
            return [_row(r) for r in rows]

    async def close(self, case_id: str, now: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(cases)
                .where(cases.c.id == case_id, cases.c.status == "open")
                .values(status="closed", closed_at=now, updated_at=now)
            )

    async def set_legal_hold(self, case_id: str, hold: bool, now: int) -> bool:
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(cases).where(cases.c.id == case_id).values(legal_hold=hold, updated_at=now)
            )
            return bool(res.rowcount == 1)

    async def of_subject(self, subject_id: str, limit: int = 50) -> list[CaseRow]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(cases)
                .where(cases.c.subject_id == subject_id)
                .order_by(cases.c.created_at.desc())
                .limit(limit)
            )
            return [_row(r) for r in rows]

    async def held(self) -> list[CaseRow]:
        """Cases under legal hold."""
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(cases).where(cases.c.legal_hold.is_(True)))
            return [_row(r) for r in rows]

    async def get(self, case_id: str) -> CaseRow | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(cases).where(cases.c.id == case_id))).first()
        return None if r is None else _row(r)


def _row(r: Any) -> CaseRow:
    return CaseRow(
        r.id,
        r.target,
        r.category,
        int(r.severity),
        r.origin,
        r.status,
        int(r.reports),
        int(r.created_at),
        int(r.updated_at),
        orjson.loads(r.evidence),
        r.evidence_sha256,
        bool(r.legal_hold),
        r.subject_id,
        None if r.closed_at is None else int(r.closed_at),
    )
