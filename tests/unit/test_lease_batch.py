"""The lease-write batcher of chat/service.py: ids gathered into one write, one write at a time."""

from __future__ import annotations

import asyncio
from typing import Any

from causette.chat.service import _Batch


async def settled(batch: _Batch, tasks: set[asyncio.Task[Any]]) -> None:
    """Until no write runs or waits (at most 10 s)."""
    for _ in range(500):
        if not tasks and not batch._busy:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the batcher never settled")


async def test_ids_arriving_during_a_slow_write_go_in_the_next_one_never_beside_it() -> None:
    running = 0
    most_at_once = 0
    writes: list[set[str]] = []
    tasks: set[asyncio.Task[Any]] = set()

    async def write(due: set[str]) -> None:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await asyncio.sleep(0.2)  # slower than the batching interval, as under a storm
        writes.append(due)
        running -= 1

    def spawn(coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    batch = _Batch(spawn, write)
    sent = [f"u{i}" for i in range(60)]
    for uid in sent:
        batch.add(uid)
        await asyncio.sleep(0.01)
    await settled(batch, tasks)
    assert most_at_once == 1
    assert set().union(*writes) == set(sent)
    assert sum(len(w) for w in writes) == len(sent)
    assert len(writes) < 10  # batched, not one write per id


async def test_a_failed_write_does_not_stop_later_ones() -> None:
    writes: list[set[str]] = []
    tasks: set[asyncio.Task[Any]] = set()

    async def write(due: set[str]) -> None:
        if not writes:
            writes.append(set())
            raise OSError("disk full")
        writes.append(due)

    def spawn(coro: Any) -> None:
        async def guarded() -> None:
            try:
                await coro
            except OSError:
                pass

        task = asyncio.get_running_loop().create_task(guarded())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    batch = _Batch(spawn, write)
    batch.add("a")
    await settled(batch, tasks)
    batch.add("b")
    await settled(batch, tasks)
    assert writes[-1] == {"b"}
