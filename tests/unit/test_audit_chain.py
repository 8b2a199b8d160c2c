"""The audit chain (moderation/audit.py), pure part: hashing, linking and verifying."""

from __future__ import annotations

import dataclasses
import itertools

from causette.moderation.audit import GENESIS, AuditEntry, next_entry, verify_chain


def chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        last = entries[-1] if entries else None
        entries.append(next_entry(last, 1000 + i, "mod:alice", "timeout", f"user:u{i}", {"minutes": i}))
    return entries


def head_of(entries: list[AuditEntry]) -> tuple[int, str]:
    return entries[-1].seq, entries[-1].hash


def test_an_intact_chain_verifies() -> None:
    entries = chain(5)
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    verdict = verify_chain(entries, head_of(entries))
    assert verdict.ok and verdict.entries == 5


def test_an_empty_chain_without_head_verifies() -> None:
    assert verify_chain([], None).ok


def test_an_edited_entry_is_named() -> None:
    entries = chain(5)
    head = head_of(entries)
    entries[2] = dataclasses.replace(entries[2], details={"minutes": 999})
    verdict = verify_chain(entries, head)
    assert not verdict.ok and verdict.first_bad == 3 and "altered" in verdict.reason


def test_a_deleted_entry_in_the_middle_is_named() -> None:
    entries = chain(5)
    head = head_of(entries)
    del entries[1]
    verdict = verify_chain(entries, head)
    assert not verdict.ok and verdict.first_bad == 2


def test_deleting_the_last_entries_is_caught_by_the_head() -> None:
    entries = chain(5)
    head = head_of(entries)
    verdict = verify_chain(entries[:3], head)
    assert not verdict.ok and verdict.first_bad == 4


def test_a_rehashed_entry_breaks_the_link_of_the_next() -> None:
    entries = chain(4)
    head = head_of(entries)
    forged = next_entry(entries[0], entries[1].at, "mod:mallory", "dismiss", entries[1].target, {})
    entries[1] = forged
    verdict = verify_chain(entries, head)
    assert not verdict.ok and verdict.first_bad == 3


def test_entries_without_a_head_are_refused() -> None:
    verdict = verify_chain(chain(2), None)
    assert not verdict.ok
