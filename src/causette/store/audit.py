"""Storage of the audit chain: entries and head written in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.database import reading
from causette.store.tables import audit_head, audit_log

# (seq, at, actor, action, target, details, prev_hash, hash)
AuditRow = tuple[int, int, str, str, str, dict[str, Any], str, str]


class AuditRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, build: Callable[[AuditRow | None], AuditRow]) -> AuditRow:
        """Append the entry `build` makes from the last one, and move the head, atomically."""
        async with self._engine.begin() as conn:
            head = (
                await conn.execute(select(audit_head).where(audit_head.c.id == 1).with_for_update())
            ).first()
            last: AuditRow | None = None
            if head is not None:
                row = (await conn.execute(select(audit_log).where(audit_log.c.seq == head.seq))).first()
                last = _row(row) if row is not None else None
            seq, at, actor, action, target, details, prev_hash, digest = entry = build(last)
            await conn.execute(
                audit_log.insert().values(
                    seq=seq,
                    at=at,
                    actor=actor,
                    action=action,
                    target=target,
                    details=orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode(),
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            if head is None:
                await conn.execute(audit_head.insert().values(id=1, seq=seq, hash=digest))
            else:
                await conn.execute(
                    update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest)
                )
        return entry

    async def head(self) -> tuple[int, str] | None:
        async with reading(self._engine) as conn:
            row = (await conn.execute(select(audit_head).where(audit_head.c.id == 1))).first()
        return None if row is None else (int(row.seq), str(row.hash))

    async def latest(self, limit: int) -> list[AuditRow]:
        """The newest entries, newest first."""
        async with reading(self._engine) as conn:
            rows = await conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit))
            return [_row(r) for r in rows]

    async def entries(self, batch: int = 1000) -> AsyncIterator[AuditRow]:
        """Every entry in seq order, read in batches."""
        after = 0
        while True:
            async with reading(self._engine) as conn:
                rows = list(
                    await conn.execute(
                        select(audit_log)
                        .where(audit_log.c.seq > after)
                        .order_by(audit_log.c.seq)
                        .limit(batch)
                    )
                )
            for r in rows:
                yield _row(r)
            if len(rows) < batch:
                return
            after = int(rows[-1].seq)


def _row(r: Any) -> AuditRow:
    return (int(r.seq), int(r.at), r.actor, r.action, r.target, orjson.loads(r.details), r.prev_hash, r.hash)
