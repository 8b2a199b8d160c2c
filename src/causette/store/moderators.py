"""Moderator accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.database import StoreError, reading
from causette.store.tables import mod_sessions, moderators


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
    totp_last_step: int = 0


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
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(moderators).where(moderators.c.name == name))).first()
        return None if r is None else _row(r)

    async def record_failure(self, moderator_id: str, failures: int, locked_until: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(moderators)
                .where(moderators.c.id == moderator_id)
                .values(failed_logins=failures, locked_until=locked_until)
            )

    async def record_success(
        self, moderator_id: str, password_hash: str | None = None, totp_step: int = 0
    ) -> None:
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": 0, "totp_last_step": totp_step}
        if password_hash is not None:
            values["password_hash"] = password_hash
        async with self._engine.begin() as conn:
            await conn.execute(update(moderators).where(moderators.c.id == moderator_id).values(**values))

    async def get(self, moderator_id: str) -> ModeratorRow | None:
        async with reading(self._engine) as conn:
            r = (await conn.execute(select(moderators).where(moderators.c.id == moderator_id))).first()
        return None if r is None else _row(r)

    # --- console sessions (only the token's SHA-256 is stored) ----------------------------------------
    async def open_session(self, token_sha256: str, moderator_id: str, now: int, expires_at: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(mod_sessions).where(mod_sessions.c.expires_at <= now))
            await conn.execute(
                mod_sessions.insert().values(
                    token_sha256=token_sha256,
                    moderator_id=moderator_id,
                    created_at=now,
                    expires_at=expires_at,
                    last_seen=now,
                )
            )

    async def touch_session(self, token_sha256: str, now: int, idle_ms: int) -> ModeratorRow | None:
        """The moderator of a live session (not expired, not idle too long), which is refreshed."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(mod_sessions)
                .where(
                    mod_sessions.c.token_sha256 == token_sha256,
                    mod_sessions.c.expires_at > now,
                    mod_sessions.c.last_seen > now - idle_ms,
                )
                .values(last_seen=now)
                .returning(mod_sessions.c.moderator_id)
            )
            moderator_id = res.scalar_one_or_none()
            if moderator_id is None:
                return None
            r = (
                await conn.execute(
                    select(moderators).where(
                        moderators.c.id == moderator_id, moderators.c.disabled.is_(False)
                    )
                )
            ).first()
        return None if r is None else _row(r)

    async def close_session(self, token_sha256: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(mod_sessions).where(mod_sessions.c.token_sha256 == token_sha256))


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
        int(r.totp_last_step),
    )
