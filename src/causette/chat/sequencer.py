"""Conversation frames to the hub in seq order, whichever node published them.

In one process the message writer commits and publishes in seq order. In a cluster, two nodes
store neighbouring messages of a conversation (the database allocates their seqs in order) and
publish them each on their own connection to Redis, so a third node may receive seq n+2 before
n+1. The sequencer holds n+2 until n+1 arrives; if it has not arrived after `gap_wait_ms` (its
node died between commit and publish, or the bus dropped it), it reads the gap from the database,
where every seq below a stored one is already committed (seqs are allocated under the
conversation's row lock), and delivers in order. Seqs absent from the database in a gap are
retracted messages: they are skipped.

Per conversation the node tracks `last` (the highest seq handed on) and `floor` (the first seq it
saw since it started receiving the conversation). A seq at or below `last` was already handed on
and is dropped, except below `floor`: a frame that was overtaken before this node's first one,
handed on as it comes (members who joined meanwhile de-duplicate against their history by seq).
Frames without a seq (typing, retractions, notices) pass straight through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from causette.bus.base import Envelope

log = logging.getLogger(__name__)

# Beyond this many frames waiting behind one gap, the gap is read from the database at once.
MAX_PENDING = 256
# Frames read from the database per query when filling a gap.
FILL_BATCH = 500

Fetch = Callable[[str, int, int], Awaitable[list[Envelope]]]


@dataclass(eq=False, slots=True)
class _Track:
    floor: int
    last: int
    pending: dict[int, Envelope] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None
    filling: bool = False


class Sequencer:
    def __init__(self, deliver: Callable[[Envelope], None], fetch: Fetch, wait_ms: int) -> None:
        """`fetch(conv, after, limit)`: the stored messages of `conv` above seq `after`, oldest
        first, as envelopes ready to deliver."""
        self._deliver = deliver
        self._fetch = fetch
        self._wait = wait_ms / 1000.0
        self._tracks: dict[str, _Track] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.filled = 0  # frames read from the database to fill gaps (for tests and metrics)

    def push(self, env: Envelope) -> None:
        seq = env.seq
        if not seq:
            self._deliver(env)
            return
        conv = env.channel
        track = self._tracks.get(conv)
        if track is None:
            self._tracks[conv] = _Track(floor=seq, last=seq)
            self._deliver(env)
            return
        if seq == track.last + 1:
            track.last = seq
            self._deliver(env)
            if track.pending:
                self._drain(conv, track)
            return
        if seq <= track.last:
            if seq < track.floor:
                track.floor = seq
                self._deliver(env)
            return
        track.pending[seq] = env
        if track.filling:
            return
        if len(track.pending) > MAX_PENDING:
            self._start_fill(conv, track)
        elif track.timer is None:
            track.timer = asyncio.get_running_loop().call_later(self._wait, self._start_fill, conv, track)

    def forget(self, conv: str) -> None:
        """This node no longer receives `conv`."""
        track = self._tracks.pop(conv, None)
        if track is not None and track.timer is not None:
            track.timer.cancel()

    def clear(self) -> None:
        for conv in list(self._tracks):
            self.forget(conv)

    async def stop(self) -> None:
        self.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def waiting(self, conv: str) -> int:
        track = self._tracks.get(conv)
        return len(track.pending) if track else 0

    # --- inside -----------------------------------------------------------------------------
    def _drain(self, conv: str, track: _Track) -> None:
        pending = track.pending
        while (nxt := pending.pop(track.last + 1, None)) is not None:
            track.last = nxt.seq
            self._deliver(nxt)
        if not pending and track.timer is not None:
            track.timer.cancel()
            track.timer = None

    def _start_fill(self, conv: str, track: _Track) -> None:
        if track.timer is not None:
            track.timer.cancel()
            track.timer = None
        if track.filling or self._tracks.get(conv) is not track or not track.pending:
            return
        track.filling = True
        task = asyncio.get_running_loop().create_task(self._fill(conv, track), name=f"gap-{conv}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill(self, conv: str, track: _Track) -> None:
        try:
            target = max(track.pending)
            while track.last < target:
                before = track.last
                try:
                    stored = await self._fetch(conv, track.last, min(FILL_BATCH, target - track.last))
                except Exception:
                    log.warning("could not read the gap of %s after seq %d", conv, track.last, exc_info=True)
                    stored = []
                if self._tracks.get(conv) is not track:
                    return  # forgotten meanwhile
                if not stored or stored[0].seq > target:
                    break  # the rest of the gap is not in the database: retracted, or unreadable
                for env in stored:
                    if env.seq > target:
                        break
                    if env.seq <= track.last:
                        continue
                    own = track.pending.pop(env.seq, None)
                    track.last = env.seq
                    self.filled += own is None
                    self._deliver(own or env)
                if track.last == before:
                    break
            # Whatever still waits up to the target is handed on in order; the gap is closed.
            for seq in sorted(s for s in track.pending if s <= target):
                env = track.pending.pop(seq)
                if seq > track.last:
                    track.last = seq
                    self._deliver(env)
            track.last = max(track.last, target)
        finally:
            track.filling = False
        if self._tracks.get(conv) is track and track.pending:
            self._drain(conv, track)
            if track.pending and track.timer is None:
                track.timer = asyncio.get_running_loop().call_later(self._wait, self._start_fill, conv, track)
