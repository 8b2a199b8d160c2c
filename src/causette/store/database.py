"""The database: an async SQLAlchemy engine on SQLite (embedded default) or PostgreSQL.

Reads on SQLite run on a synchronous connection in the event loop's own thread (`reading`): an
indexed read from SQLite's page cache takes tens of microseconds, while the same read through
aiosqlite costs about 340 µs of CPU in thread hand-offs (cursor, execute, fetch, close, reset),
which made a reconnecting client cost a dozen of them. Writes keep aiosqlite's thread (they wait
for fsync). WAL mode lets these readers run beside the writer; they see committed data only, and
`PRAGMA query_only` makes them refuse any write. On PostgreSQL reads stay asynchronous.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Dialect, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

T = TypeVar("T")
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
        _pragmas(engine.sync_engine, *_writer_pragmas(sqlite_synchronous))
        _unreachable_is_store_error(engine)
        path = full.split(":///", 1)[1]
        _READERS[engine] = _sync_reader(path)
        _WRITERS[engine] = _SqliteWriter(path, sqlite_synchronous)
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


def _writer_pragmas(synchronous: str) -> tuple[str, ...]:
    # WAL lets readers (history, resume) run while a writer commits.
    return ("journal_mode=WAL", f"synchronous={synchronous.upper()}", "busy_timeout=5000", "foreign_keys=ON")


def _pragmas(engine: Engine, *pragmas: str) -> None:
    """Set `pragmas` on every new SQLite connection of `engine`."""

    @event.listens_for(engine, "connect")
    def _set(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in pragmas:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()


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


# The loop-thread reader of each SQLite async engine.
_READERS: weakref.WeakKeyDictionary[AsyncEngine, _LoopReader] = weakref.WeakKeyDictionary()


def _sync_reader(path: str) -> _LoopReader:
    # query_only connections never open a transaction (pysqlite begins one only before a write):
    # nothing to roll back when they return to the pool.
    reader = create_engine(f"sqlite:///{path}", pool_size=4, max_overflow=16, pool_reset_on_return=None)
    _pragmas(reader, "busy_timeout=5000", "query_only=ON")
    return _LoopReader(reader)


class _SyncRead:
    """A read connection with the `await conn.execute(...)` of an AsyncConnection."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def execute(self, statement: Any, parameters: Any = None) -> CursorResult[Any]:
        if parameters is None:
            return self._conn.execute(statement)
        return self._conn.execute(statement, parameters)


class _LoopReader:
    """Connections for reads in the loop thread, kept open between reads: checking one out of
    SQLAlchemy's pool for each read cost as much as the read (an entry makes one, a reconnect a
    dozen). A read that awaits something else while it holds its connection gets its own."""

    KEEP = 4

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.free: list[_SyncRead] = []

    def lease(self) -> _Lease:
        return _Lease(self)

    def dispose(self) -> None:
        for read in self.free:
            read._conn.close()
        self.free.clear()
        self.engine.dispose()


class _Lease:
    __slots__ = ("_read", "_reader")

    def __init__(self, reader: _LoopReader) -> None:
        self._reader = reader

    async def __aenter__(self) -> _SyncRead:
        free = self._reader.free
        self._read = free.pop() if free else _SyncRead(self._reader.engine.connect())
        return self._read

    async def __aexit__(self, *_exc: object) -> None:
        conn = self._read._conn
        # SQLAlchemy's own transaction bookkeeping ends here; no SQL is sent (see _sync_reader).
        conn.rollback()
        if len(self._reader.free) < _LoopReader.KEEP and not conn.closed:
            self._reader.free.append(self._read)
        else:
            conn.close()


# The one-thread writer of each SQLite async engine.
_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, _SqliteWriter] = weakref.WeakKeyDictionary()


class _SqliteWriter:
    """Hot write transactions (message batches, entries, leases) on SQLite, each run whole in one
    thread: one hand-off to the thread and one back, however many statements. Through aiosqlite
    every statement was a hand-off and a turn of the event loop; with the loop busy (a reconnect
    storm) a three-statement message commit took 300 to 450 ms, and the messages of everyone
    waited for it. One thread and one connection also make these writes take turns in order,
    instead of sleeping in SQLite's busy handler while another connection holds the lock."""

    def __init__(self, path: str, synchronous: str) -> None:
        self._engine = create_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0)
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        _pragmas(self._engine, *_writer_pragmas(synchronous))

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._engine.begin() as conn:
            return fn(conn, *args)

    async def run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._run, fn, args)

    def dispose(self) -> None:
        self._thread.shutdown(wait=True)
        self._engine.dispose()


async def writing(engine: AsyncEngine, fn: Callable[..., T], *args: Any) -> T:
    """`fn(conn, *args)` in one write transaction, on a synchronous Connection, and its result:
    on SQLite in the writer thread (_SqliteWriter), on PostgreSQL through the async engine
    (`run_sync`). For writes on the hot path; `fn` must not touch the event loop."""
    writer = _WRITERS.get(engine)
    if writer is not None:
        return await writer.run(fn, args)
    async with engine.begin() as conn:
        return await conn.run_sync(fn, *args)


def reading(engine: AsyncEngine) -> AbstractAsyncContextManager[Any]:
    """A connection for reads: `async with reading(engine) as conn: await conn.execute(...)`."""
    reader = _READERS.get(engine)
    return engine.connect() if reader is None else reader.lease()


async def dispose(engine: AsyncEngine) -> None:
    reader = _READERS.pop(engine, None)
    if reader is not None:
        reader.dispose()
    writer = _WRITERS.pop(engine, None)
    if writer is not None:
        writer.dispose()
    await engine.dispose()


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
