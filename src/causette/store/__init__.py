"""Persistence: SQLAlchemy Core tables, repositories and Alembic migrations (SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from causette.store.audit import AuditRepository
from causette.store.cases import CaseRepository
from causette.store.database import StoreError, create_engine_for, dispose, migrate
from causette.store.decisions import DecisionRepository
from causette.store.messages import MessageLog
from causette.store.moderators import ModeratorRepository
from causette.store.private import PrivateRepository
from causette.store.reports import ReportRepository
from causette.store.rooms import RoomRepository
from causette.store.safety_events import SafetyEventRepository
from causette.store.sessions import SessionRepository

__all__ = ["Store", "StoreError", "migrate"]


@dataclass(slots=True)
class Store:
    engine: AsyncEngine
    sessions: SessionRepository
    rooms: RoomRepository
    messages: MessageLog
    private: PrivateRepository
    reports: ReportRepository
    safety: SafetyEventRepository
    audit: AuditRepository
    moderators: ModeratorRepository
    cases: CaseRepository
    decisions: DecisionRepository

    @classmethod
    def open(cls, url: str, sqlite_synchronous: str = "FULL", max_batch: int = 512) -> Store:
        engine = create_engine_for(url, sqlite_synchronous)
        return cls(
            engine,
            SessionRepository(engine, max_batch),
            RoomRepository(engine),
            MessageLog(engine, max_batch),
            PrivateRepository(engine),
            ReportRepository(engine),
            SafetyEventRepository(engine),
            AuditRepository(engine),
            ModeratorRepository(engine),
            CaseRepository(engine),
            DecisionRepository(engine),
        )

    def start(self) -> None:
        self.messages.start()
        self.sessions.start()

    async def close(self) -> None:
        await self.sessions.stop()
        await self.messages.stop()
        await dispose(self.engine)
