"""The gateway's flusher: a quiet server writes at once; after a fan-out the next write waits
FLUSH_INTERVAL_S, each socket's frames of that interval in one write; answers to single sockets
never wait."""

from __future__ import annotations

import asyncio

from causette.web.gateway import FLUSH_BATCH_SOCKETS, FLUSH_INTERVAL_S, _Flusher


class Sink:
    def __init__(self) -> None:
        self.flushes: list[float] = []

    def flush(self) -> None:
        self.flushes.append(asyncio.get_running_loop().time())


async def test_a_quiet_flusher_writes_in_the_same_turn() -> None:
    loop = asyncio.get_running_loop()
    flusher, sink = _Flusher(), Sink()
    flusher.add(sink)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert len(sink.flushes) == 1
    await asyncio.sleep(FLUSH_INTERVAL_S * 2)
    t = loop.time()
    flusher.add(sink)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert len(sink.flushes) == 2 and sink.flushes[1] - t < FLUSH_INTERVAL_S


async def test_after_a_fan_out_the_next_write_waits_the_interval_and_writes_each_socket_once() -> None:
    flusher = _Flusher()
    room = [Sink() for _ in range(FLUSH_BATCH_SOCKETS)]
    for sink in room:
        flusher.add(sink)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    a, b = room[0], Sink()
    first = a.flushes[0]
    flusher.add(a)  # type: ignore[arg-type]
    flusher.add(b)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert len(a.flushes) == 1 and not b.flushes  # too soon after the fan-out
    await asyncio.sleep(FLUSH_INTERVAL_S * 3)
    assert len(a.flushes) == 2 and len(b.flushes) == 1
    assert a.flushes[1] - first >= FLUSH_INTERVAL_S * 0.9


async def test_answers_to_one_socket_after_another_never_wait() -> None:
    """A ping, its pong, the next ping: a request-response client is not slowed down."""
    loop = asyncio.get_running_loop()
    flusher, sink = _Flusher(), Sink()
    for _ in range(5):
        asked = loop.time()
        flusher.add(sink)  # type: ignore[arg-type]
        await asyncio.sleep(0)
        assert sink.flushes[-1] - asked < FLUSH_INTERVAL_S / 2
    assert len(sink.flushes) == 5
