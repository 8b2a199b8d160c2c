"""Moderation cases and their frozen evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

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


class CaseRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open_for(self, target: str) -> CaseRow | None:
        async with self._engine.connect() as conn:
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
            if origin == "trusted":
                values["origin"] = origin
            await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))
            await conn.execute(update(reports).where(reports.c.id == report_id).values(case_id=case_id))

    async def queue(self, limit: int = 100) -> list[CaseRow]:
        """Open cases, most urgent first: severity, then trusted flaggers (DSA art. 22), then age."""
        trusted_first = cases.c.origin != "trusted"
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(cases)
                .where(cases.c.status == "open")
                .order_by(cases.c.severity, trusted_first, cases.c.created_at)
                .limit(limit)
            )
            return [_row(r) for r in rows]

    async def get(self, case_id: str) -> CaseRow | None:
        async with self._engine.connect() as conn:
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
    )
