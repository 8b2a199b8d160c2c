"""Reports (notices) filed by chatters. The moderation workflow builds cases on them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.tables import reports


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
                )
            )
