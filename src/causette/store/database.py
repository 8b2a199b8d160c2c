"""The database: an async SQLAlchemy engine on SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Seconds a new PostgreSQL connection may take (asyncpg waits 60 s by default): a database that
# does not answer must become an "unavailable" error soon, not a request that hangs.
CONNECT_TIMEOUT_S = 10.0


class StoreError(Exception):
    """The database refused or could not be reached; nothing was stored."""


def async_url(url: str) -> str:
    """Pick the async driver: aiosqlite for sqlite:, asyncpg for postgresql:."""
    if url.startswith("sqlite:///") or url.startswith("sqlite+aiosqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    for prefix in ("postgresql://", "postgres://", "postgresql+asyncpg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise StoreError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql://")


def create_engine_for(url: str, sqlite_synchronous: str = "FULL") -> AsyncEngine:
    full = async_url(url)
    if full.startswith("sqlite"):
        Path(full.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(full, pool_size=8, max_overflow=8)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets readers (history, resume) run while the group writer commits.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous.upper()}")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _unreachable_is_store_error(engine)
        return engine
    engine = create_async_engine(
        full,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"timeout": CONNECT_TIMEOUT_S},
    )
    _unreachable_is_store_error(engine)
    return engine


def _unreachable_is_store_error(engine: AsyncEngine) -> None:
    """A database out of reach raises StoreError from every repository, as the message writer's
    failures do, so that callers answer "unavailable" (WebSocket `error`, HTTP 503) instead of an
    internal error: a connection refused or reset while connecting (asyncpg raises a bare
    OSError there), and a connection lost during a statement (SQLAlchemy's "disconnect").
    Other database errors (constraint violations, ...) are left as they are: callers catch them.
    """

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except (OSError, TimeoutError) as exc:
            raise StoreError(f"database unreachable: {exc or type(exc).__name__}") from exc

    @event.listens_for(engine.sync_engine, "handle_error")
    def _lost(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool reconnects by itself; a failed reconnection comes through _connect
        if context.is_disconnect or context.connection is None:
            exc = context.original_exception
            raise StoreError(f"database unreachable: {exc or type(exc).__name__}") from exc


def migrate(url: str) -> None:
    """Apply every Alembic migration (runs its own event loop: call it outside one)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if url.startswith("sqlite"):
        Path(async_url(url).split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(cfg, "head")


def now_ms() -> int:
    return int(time.time() * 1000)
