"""The message log: group-committed appends with per-conversation seqs, and history reads.

An append is acknowledged only after the transaction that holds it has committed: the writer
(`batching.GroupCommit`) takes every append waiting (up to `max_batch`), allocates their seqs with one
`UPDATE conversations ... RETURNING` for all their conversations, inserts them with one executemany and
commits once. Under load many messages share one commit (and one fsync); alone, a message
waits for nobody.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, select, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from causette.domain.models import Message
from causette.store.batching import GroupCommit
from causette.store.database import StoreError, now_ms, reading, writing
from causette.store.tables import conversations, messages

# Statements built once: every resume runs them (building one cost more than running it).
_AFTER = (
    select(messages)
    .where(
        messages.c.conv_id == bindparam("conv"),
        messages.c.seq > bindparam("seq"),
        messages.c.retracted.is_(False),
    )
    .order_by(messages.c.seq)
    .limit(bindparam("limit"))
)
_RETRACTED_IN = select(messages.c.conv_id, messages.c.seq).where(
    messages.c.conv_id.in_(bindparam("convs", expanding=True)), messages.c.retracted
)
_HEADS = select(conversations.c.id, conversations.c.last_seq).where(
    conversations.c.id.in_(bindparam("convs", expanding=True))
)


@dataclass(slots=True)
class Append:
    conv: str
    sender_id: str
    sender_pseudonym: str
    sender_gender: str
    cid: str
    text: str


class MessageLog:
    def __init__(self, engine: AsyncEngine, max_batch: int = 512) -> None:
        self._engine = engine
        self._writer: GroupCommit[Append, tuple[Message, bool]] = GroupCommit(
            "message-writer", self._commit, max_batch
        )

    def start(self) -> None:
        self._writer.start()

    async def stop(self) -> None:
        """Finish the appends already queued (their senders wait for an ack), then stop."""
        await self._writer.stop()

    def submit(
        self, conv: str, sender_id: str, sender_pseudonym: str, sender_gender: str, cid: str, text: str
    ) -> asyncio.Future[tuple[Message, bool]]:
        """Queue a message; the future resolves once it is durable, to (message, created).
        `created` is False for a retried cid, whose first stored copy is returned. Appends
        are stored in the order they are submitted. The future fails with StoreError."""
        return self._writer.submit(Append(conv, sender_id, sender_pseudonym, sender_gender, cid, text))

    async def append(
        self, conv: str, sender_id: str, sender_pseudonym: str, sender_gender: str, cid: str, text: str
    ) -> tuple[Message, bool]:
        return await self.submit(conv, sender_id, sender_pseudonym, sender_gender, cid, text)

    async def _commit(self, batch: list[Append]) -> list[tuple[Message, bool]]:
        return await writing(self._engine, _commit, batch)

    async def after(self, conv: str, seq: int, limit: int) -> list[Message]:
        """Messages of `conv` with a seq above `seq`, oldest first."""
        async with reading(self._engine) as conn:
            rows = await conn.execute(_AFTER, {"conv": conv, "seq": seq, "limit": limit})
            return [_row_message(r) for r in rows]

    async def get(self, conv: str, seq: int, *, retracted: bool = False) -> Message | None:
        """One message; a retracted one only when asked for."""
        q = select(messages).where(messages.c.conv_id == conv, messages.c.seq == seq)
        if not retracted:
            q = q.where(messages.c.retracted.is_(False))
        async with reading(self._engine) as conn:
            row = (await conn.execute(q)).first()
        return None if row is None else _row_message(row)

    async def retracted_in(self, convs: list[str]) -> list[tuple[str, int]]:
        """(conv, seq) of the retracted messages of these conversations (a partial index)."""
        if not convs:
            return []
        async with reading(self._engine) as conn:
            rows = await conn.execute(_RETRACTED_IN, {"convs": convs})
            return [(r.conv_id, int(r.seq)) for r in rows]

    async def set_retracted(self, conv: str, seq: int, retracted: bool) -> Message | None:
        """Take a message out of every history (a moderator deleted it), or bring it back (the
        decision was reversed on appeal). Returns the message if its state changed."""
        async with self._engine.begin() as conn:
            res = await conn.execute(
                update(messages)
                .where(
                    messages.c.conv_id == conv, messages.c.seq == seq, messages.c.retracted.is_(not retracted)
                )
                .values(retracted=retracted)
            )
            if res.rowcount != 1:
                return None
            row = (
                await conn.execute(select(messages).where(messages.c.conv_id == conv, messages.c.seq == seq))
            ).first()
        return None if row is None else _row_message(row)

    async def latest(self, conv: str, limit: int, before: int | None = None) -> list[Message]:
        """The `limit` latest messages of `conv` (below `before` if given), oldest first."""
        q = select(messages).where(messages.c.conv_id == conv, messages.c.retracted.is_(False))
        if before is not None:
            q = q.where(messages.c.seq < before)
        async with reading(self._engine) as conn:
            rows = await conn.execute(q.order_by(messages.c.seq.desc()).limit(limit))
            out = [_row_message(r) for r in rows]
        out.reverse()
        return out

    async def heads(self, convs: list[str]) -> dict[str, int]:
        if not convs:
            return {}
        async with reading(self._engine) as conn:
            rows = await conn.execute(_HEADS, {"convs": convs})
            return {r.id: int(r.last_seq) for r in rows}


def _row_message(r: Any) -> Message:
    return Message(
        r.conv_id,
        int(r.seq),
        r.sender_id,
        r.sender_pseudonym,
        r.sender_gender,
        r.text,
        int(r.at),
    )


def _commit(conn: Connection, batch: list[Append]) -> list[tuple[Message, bool]]:
    """The message writer's transaction (in the SQLite writer thread: no await)."""
    at = now_ms()
    keys = list({(a.conv, a.sender_id, a.cid) for a in batch})
    results: list[tuple[Message, bool] | None] = [None] * len(batch)
    existing: dict[tuple[str, str, str], Message] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        rows = conn.execute(
            select(messages).where(
                tuple_(messages.c.conv_id, messages.c.sender_id, messages.c.cid).in_(chunk)
            )
        )
        for r in rows:
            existing[(r.conv_id, r.sender_id, r.cid)] = _row_message(r)
    fresh: dict[str, list[int]] = defaultdict(list)  # conv -> indexes in batch
    pending: dict[tuple[str, str, str], int] = {}
    for i, a in enumerate(batch):
        key = (a.conv, a.sender_id, a.cid)
        if key in existing:
            results[i] = (existing[key], False)
        elif key in pending:
            continue  # a retry within the same batch: resolved below
        else:
            pending[key] = i
            fresh[a.conv].append(i)
    rows_out = []
    lasts: dict[str, int] = {}
    if fresh:
        # One statement moves every conversation's last seq (one round trip, however many
        # conversations the batch holds: each was a round trip of its own).
        res = conn.execute(
            update(conversations)
            .where(conversations.c.id.in_(list(fresh)))
            .values(
                last_seq=conversations.c.last_seq
                + case({conv: len(idxs) for conv, idxs in fresh.items()}, value=conversations.c.id)
            )
            .returning(conversations.c.id, conversations.c.last_seq)
        )
        lasts = {r.id: int(r.last_seq) for r in res}
    for conv, idxs in fresh.items():
        last = lasts.get(conv)
        if last is None:
            raise StoreError(f"unknown conversation {conv}")
        seq = last - len(idxs)
        for i in idxs:
            seq += 1
            a = batch[i]
            m = Message(a.conv, seq, a.sender_id, a.sender_pseudonym, a.sender_gender, a.text, at)
            results[i] = (m, True)
            rows_out.append(
                {
                    "conv_id": a.conv,
                    "seq": seq,
                    "sender_id": a.sender_id,
                    "sender_pseudonym": a.sender_pseudonym,
                    "sender_gender": a.sender_gender,
                    "cid": a.cid,
                    "text": a.text,
                    "at": at,
                }
            )
    if rows_out:
        conn.execute(messages.insert(), rows_out)
    for i, a in enumerate(batch):
        if results[i] is None:
            first = results[pending[(a.conv, a.sender_id, a.cid)]]
            assert first is not None
            results[i] = (first[0], False)
    return [r for r in results if r is not None]
