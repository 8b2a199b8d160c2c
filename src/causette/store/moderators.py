"""Moderator accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.database import StoreError
from causette.store.tables import moderators


@dataclass(frozen=True, slots=True)
class ModeratorRow:
    id: str
    name: str
    role: str
    password_hash: str
    totp_secret: str
    failed_logins: int
    locked_until: int
    disabled: bool


class NameTaken(StoreError):
    pass


class ModeratorRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, row: ModeratorRow, now: int) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    moderators.insert().values(
                        id=row.id,
                        name=row.name,
                        role=row.role,
                        password_hash=row.password_hash,
                        totp_secret=row.totp_secret,
                        created_at=now,
                        failed_logins=0,
                        locked_until=0,
                        disabled=False,
                    )
                )
        except IntegrityError as exc:
            raise NameTaken(row.name) from exc

    async def by_name(self, name: str) -> ModeratorRow | None:
        async with self._engine.connect() as conn:
            r = (await conn.execute(select(moderators).where(moderators.c.name == name))).first()
        return None if r is None else _row(r)

    async def record_failure(self, moderator_id: str, failures: int, locked_until: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(moderators)
                .where(moderators.c.id == moderator_id)
                .values(failed_logins=failures, locked_until=locked_until)
            )

    async def record_success(self, moderator_id: str, password_hash: str | None = None) -> None:
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": 0}
        if password_hash is not None:
            values["password_hash"] = password_hash
        async with self._engine.begin() as conn:
            await conn.execute(update(moderators).where(moderators.c.id == moderator_id).values(**values))


def _row(r: Any) -> ModeratorRow:
    return ModeratorRow(
        r.id,
        r.name,
        r.role,
        r.password_hash,
        r.totp_secret,
        int(r.failed_logins),
        int(r.locked_until),
        bool(r.disabled),
    )
