"""The tamper-evident audit log: every moderator action, login and export, hash-chained.

Entry n stores `hash_n = SHA-256(hash_{n-1} ‖ canonical JSON of entry n)`, with a genesis hash of
64 zeros. Editing an entry breaks its hash; deleting or inserting one breaks the link of the next;
deleting the last ones is caught by the head (seq and hash of the last entry), written in the same
transaction as each append. Someone who can rewrite the whole table and the head at once can still
forge a consistent chain: publish or copy the head elsewhere (docs/operations.md) to anchor it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from causette.store.audit import AuditRepository, AuditRow
from causette.store.database import now_ms

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: int
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def entry_hash(
    prev_hash: str, seq: int, at: int, actor: str, action: str, target: str, details: dict[str, Any]
) -> str:
    body = orjson.dumps(
        {"seq": seq, "at": at, "actor": actor, "action": action, "target": target, "details": details},
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def next_entry(
    last: AuditEntry | None, at: int, actor: str, action: str, target: str, details: dict[str, Any]
) -> AuditEntry:
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    return AuditEntry(
        seq,
        at,
        actor,
        action,
        target,
        details,
        prev,
        entry_hash(prev, seq, at, actor, action, target, details),
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    entries: int
    first_bad: int | None = None  # seq of the first entry that does not verify
    reason: str = ""


def verify_chain(entries: Iterable[AuditEntry], head: tuple[int, str] | None) -> Verdict:
    """Check every link, in seq order, and that the chain ends at the recorded head."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last: AuditEntry | None = None
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            return Verdict(False, count, expected_seq, f"entry {expected_seq} is missing")
        if e.prev_hash != prev_hash:
            return Verdict(False, count, e.seq, f"entry {e.seq} does not follow entry {e.seq - 1}")
        if entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.target, e.details) != e.hash:
            return Verdict(False, count, e.seq, f"entry {e.seq} was altered")
        prev_hash, expected_seq, last = e.hash, e.seq + 1, e
    if head is None:
        if last is not None:
            return Verdict(False, count, last.seq, "the head of the chain is missing")
        return Verdict(True, 0)
    head_seq, head_hash = head
    if last is None or last.seq != head_seq or last.hash != head_hash:
        missing = (last.seq + 1) if last is not None else 1
        return Verdict(False, count, missing, f"the chain ends before its head (entry {head_seq})")
    return Verdict(True, count)


class AuditLog:
    """Appends to and verifies the chain kept by the store."""

    def __init__(self, repo: AuditRepository) -> None:
        self._repo = repo

    async def record(
        self,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
        at: int | None = None,
    ) -> AuditEntry:
        when = now_ms() if at is None else at

        def build(last: AuditRow | None) -> AuditRow:
            e = next_entry(
                _entry(last) if last is not None else None, when, actor, action, target, details or {}
            )
            return (e.seq, e.at, e.actor, e.action, e.target, e.details, e.prev_hash, e.hash)

        return _entry(await self._repo.append(build))

    async def verify(self) -> Verdict:
        entries = [_entry(row) async for row in self._repo.entries()]
        return verify_chain(entries, await self._repo.head())


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(*row)
