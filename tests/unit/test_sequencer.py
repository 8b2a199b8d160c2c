"""The sequencer hands a conversation's frames on in seq order, filling gaps from the store."""

from __future__ import annotations

import asyncio

from causette.bus.base import Envelope
from causette.chat.sequencer import MAX_PENDING, Sequencer


def env(seq: int, conv: str = "c1", tag: str = "bus") -> Envelope:
    return Envelope(conv, f"{tag}:{seq}".encode(), sender="u1", seq=seq)


class Store:
    """The conversation as the database holds it: seqs → envelopes (retracted ones absent)."""

    def __init__(self, seqs: list[int], conv: str = "c1") -> None:
        self.rows = {s: env(s, conv, "db") for s in seqs}
        self.calls: list[tuple[str, int, int]] = []
        self.fail = False

    async def fetch(self, conv: str, after: int, limit: int) -> list[Envelope]:
        self.calls.append((conv, after, limit))
        if self.fail:
            raise OSError("database unavailable")
        return [self.rows[s] for s in sorted(self.rows) if s > after][:limit]


def make(store: Store, wait_ms: int = 20) -> tuple[Sequencer, list[Envelope]]:
    out: list[Envelope] = []
    return Sequencer(out.append, store.fetch, wait_ms), out


def seqs(out: list[Envelope]) -> list[int]:
    return [e.seq for e in out]


async def test_in_order_frames_pass_straight_through() -> None:
    seq, out = make(Store([]))
    for s in (5, 6, 7):
        seq.push(env(s))
    assert seqs(out) == [5, 6, 7]


async def test_an_overtaken_frame_is_waited_for_and_delivered_first() -> None:
    store = Store([])
    seq, out = make(store, wait_ms=1000)
    seq.push(env(1))
    seq.push(env(3))
    seq.push(env(4))
    assert seqs(out) == [1]
    seq.push(env(2))
    assert seqs(out) == [1, 2, 3, 4]
    assert store.calls == []
    assert seq.waiting("c1") == 0


async def test_a_gap_never_filled_on_the_bus_is_read_from_the_store() -> None:
    store = Store([1, 2, 3, 4, 5])
    seq, out = make(store, wait_ms=10)
    seq.push(env(1))
    seq.push(env(4))
    seq.push(env(5))
    await asyncio.sleep(0.1)
    assert seqs(out) == [1, 2, 3, 4, 5]
    # 2 and 3 came from the store, 4 and 5 are the bus's own frames.
    assert [e.payload for e in out] == [b"bus:1", b"db:2", b"db:3", b"bus:4", b"bus:5"]
    assert seq.filled == 2
    # The late copy of 3 from the bus is a duplicate now.
    seq.push(env(3))
    seq.push(env(6))
    assert seqs(out) == [1, 2, 3, 4, 5, 6]


async def test_retracted_messages_in_a_gap_are_skipped() -> None:
    store = Store([1, 2, 4, 5])  # 3 was deleted by a moderator
    seq, out = make(store, wait_ms=10)
    seq.push(env(1))
    seq.push(env(5))
    await asyncio.sleep(0.1)
    assert seqs(out) == [1, 2, 4, 5]
    seq.push(env(6))
    assert seqs(out)[-1] == 6


async def test_an_unreadable_store_does_not_stop_the_conversation() -> None:
    store = Store([1, 2, 3])
    store.fail = True
    seq, out = make(store, wait_ms=10)
    seq.push(env(1))
    seq.push(env(3))
    await asyncio.sleep(0.1)
    assert seqs(out) == [1, 3]  # 2 reaches members when they resume from the store
    seq.push(env(4))
    assert seqs(out) == [1, 3, 4]


async def test_frames_arriving_during_a_fill_keep_their_order() -> None:
    store = Store([1, 2, 3, 4, 5, 6])
    release = asyncio.Event()
    fetch = store.fetch

    async def slow(conv: str, after: int, limit: int) -> list[Envelope]:
        await release.wait()
        return await fetch(conv, after, limit)

    out: list[Envelope] = []
    seq = Sequencer(out.append, slow, 10)
    seq.push(env(1))
    seq.push(env(3))
    await asyncio.sleep(0.05)  # the fill has started and waits on the store
    seq.push(env(2))  # the late frame arrives meanwhile: delivered at once
    seq.push(env(5))
    seq.push(env(6))
    release.set()
    await asyncio.sleep(0.05)
    seq.push(env(4))
    await asyncio.sleep(0.1)
    assert seqs(out) == [1, 2, 3, 4, 5, 6]


async def test_frames_older_than_the_first_one_seen_are_not_lost() -> None:
    seq, out = make(Store([]))
    seq.push(env(10))
    seq.push(env(9))  # overtaken before this node's first frame: never handed on here
    seq.push(env(9))  # the same again: a duplicate
    seq.push(env(11))
    assert seqs(out) == [10, 9, 11]


async def test_frames_without_seq_and_other_conversations_are_independent() -> None:
    seq, out = make(Store([]), wait_ms=1000)
    seq.push(env(1, "a"))
    seq.push(env(3, "a"))
    seq.push(Envelope("a", b"typing"))
    seq.push(env(7, "b"))
    assert [(e.channel, e.seq) for e in out] == [("a", 1), ("a", 0), ("b", 7)]


async def test_a_long_gap_is_read_at_once_without_waiting() -> None:
    store = Store(list(range(1, MAX_PENDING + 10)))
    seq, out = make(store, wait_ms=60_000)
    seq.push(env(1))
    for s in range(3, MAX_PENDING + 5):
        seq.push(env(s))
    await asyncio.sleep(0.05)
    assert seqs(out) == list(range(1, MAX_PENDING + 5))


async def test_forgetting_a_conversation_cancels_its_wait() -> None:
    store = Store([1, 2, 3])
    seq, out = make(store, wait_ms=10)
    seq.push(env(1))
    seq.push(env(3))
    seq.forget("c1")
    await asyncio.sleep(0.05)
    assert store.calls == []
    seq.push(env(5))  # a new start: 5 is the first frame seen
    assert seqs(out) == [1, 5]
    await seq.stop()
