"""Reports (notices, DSA art. 16) and notifiers' standing (art. 23)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.database import reading
from causette.store.tables import reporter_standing, reports


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: str
    reporter_id: str | None
    conv: str | None
    seq: int | None
    user: str | None
    room: str | None
    category: str
    text: str
    status: str
    at: int
    case_id: str | None
    source: str
    contact: str | None
    reporter_key: str | None
    receipt_key_sha256: str | None
    flagger: str | None
    outcome: dict[str, Any] | None
    decided_at: int | None
    unfounded: bool


@dataclass(frozen=True, slots=True)
class Standing:
    key: str
    unfounded: int
    window_start: int
    warned_at: int | None
    deprioritised_until: int


class ReportRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        report_id: str,
        reporter_id: str | None,
        *,
        conv: str | None,
        seq: int | None,
        user: str | None,
        room: str | None,
        category: str,
        text: str,
        now: int,
        source: str = "chat",
        contact: str | None = None,
        reporter_key: str | None = None,
        receipt_key_sha256: str | None = None,
        flagger: str | None = None,
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                reports.insert().values(
                    id=report_id,
                    reporter_id=reporter_id,
                    target_conv=conv,
                    target_seq=seq,
                    target_user=user,
                    target_room=room,
                    category=category,
                    text=text,
                    status="open",
                    at=now,
                    source=source,
                    contact=contact,
                    good_faith=True,
                    reporter_key=reporter_key,
                    receipt_key_sha256=receipt_key_sha256,
                    flagger=flagger,
                )
            )

    async def get(self, report_id: str) -> ReportRow | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(reports).where(reports.c.id == report_id))).first()
        return None if r is None else _report(r)

    async def of_case(self, case_id: str) -> list[ReportRow]:
        async with reading(self._engine) as conn:
            rows = await conn.execute(
                select(reports).where(reports.c.case_id == case_id).order_by(reports.c.at)
            )
            return [_report(r) for r in rows]

    async def decide_case(
        self, case_id: str, outcome: dict[str, Any], unfounded: bool, now: int
    ) -> list[ReportRow]:
        """Record the outcome on the case's open notices; returns them as they were."""
        async with self._engine.begin() as conn:
            rows = [
                _report(r)
                for r in await conn.execute(
                    select(reports).where(reports.c.case_id == case_id, reports.c.status == "open")
                )
            ]
            await conn.execute(
                update(reports)
                .where(reports.c.case_id == case_id, reports.c.status == "open")
                .values(
                    status="decided",
                    outcome=orjson.dumps(outcome).decode(),
                    decided_at=now,
                    unfounded=unfounded,
                )
            )
        return rows

    # --- art. 23 ---------------------------------------------------------------------------------
    async def standing(self, key: str) -> Standing | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(reporter_standing).where(reporter_standing.c.key == key))).first()
        return None if r is None else _standing(r)

    async def save_standing(self, s: Standing) -> None:
        values = {
            "unfounded": s.unfounded,
            "window_start": s.window_start,
            "warned_at": s.warned_at,
            "deprioritised_until": s.deprioritised_until,
        }
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(reporter_standing).where(reporter_standing.c.key == s.key).values(**values)
            )
            if res.rowcount == 0:
                await conn.execute(reporter_standing.insert().values(key=s.key, **values))


def _report(r: Any) -> ReportRow:
    return ReportRow(
        r.id,
        r.reporter_id,
        r.target_conv,
        None if r.target_seq is None else int(r.target_seq),
        r.target_user,
        r.target_room,
        r.category,
        r.text,
        r.status,
        int(r.at),
        r.case_id,
        r.source,
        r.contact,
        r.reporter_key,
        r.receipt_key_sha256,
        r.flagger,
        None if r.outcome is None else orjson.loads(r.outcome),
        None if r.decided_at is None else int(r.decided_at),
        bool(r.unfounded),
    )


def _standing(r: Any) -> Standing:
    return Standing(
        r.key,
        int(r.unfounded),
        int(r.window_start),
        None if r.warned_at is None else int(r.warned_at),
        int(r.deprioritised_until),
    )
