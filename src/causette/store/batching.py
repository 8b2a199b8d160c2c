"""Group commit: writes submitted while a transaction runs wait, and go together in the next one.

A writer task takes every item waiting (up to `max_batch`), hands them to `commit` (one
transaction, so one fsync on SQLite) and resolves each item's future with its result. Under load
many writes share one commit; alone, a write waits for nobody. The message log and session entry
use it: both are acknowledged only once their transaction has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from causette.store.database import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    def __init__(
        self, name: str, commit: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 512
    ) -> None:
        self._name = name
        self._commit = commit
        self._max_batch = max_batch
        # (item, its future), or None: stop.
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]] | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write_forever(), name=self._name)

    async def stop(self) -> None:
        """Finish the items already queued (their submitters wait for an answer), then stop."""
        if self._writer is not None:
            self._queue.put_nowait(None)
            await self._writer
            self._writer = None

    def submit(self, item: T) -> asyncio.Future[R]:
        """Queue `item`; the future resolves to its result once its transaction has committed, or
        fails with StoreError. Items are committed in the order they are submitted."""
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, fut))
        return fut

    async def _write_forever(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self._max_batch and not self._queue.empty():
                queued = self._queue.get_nowait()
                if queued is None:
                    stopping = True
                    break
                batch.append(queued)
            try:
                results = await self._commit([item for item, _ in batch])
            except Exception as exc:  # the writer never dies: later writes need it
                if isinstance(exc, SQLAlchemyError | OSError | StoreError):
                    log.warning("%s: batch of %d failed: %s", self._name, len(batch), exc)
                else:
                    log.exception("%s: batch of %d failed", self._name, len(batch))
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(StoreError("database unavailable"))
            else:
                for (_, fut), result in zip(batch, results, strict=True):
                    if not fut.done():
                        fut.set_result(result)
            if stopping:
                return
