"""Cases: every report (DSA art. 16 notice) becomes, or joins, a case that a person decides.

A case opened on a message freezes its evidence at that moment: the message, the messages around
it in its conversation, the declared profiles of their authors and the safety engine's decisions
on them. Each item is hashed (SHA-256) and so is the whole snapshot, so that what a moderator or
an authority later sees can be shown to be what was there when the notice came.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from causette.domain.evidence import digest
from causette.domain.ids import new_id
from causette.moderation.catalog import categories
from causette.store import Store
from causette.store.cases import CaseRow
from causette.store.database import now_ms
from causette.store.safety_events import SafetyEvent

# Messages kept on each side of a reported message.
CONTEXT_MESSAGES = 10
# Queue order: the lower, the more urgent. Child safety comes first.
SEVERITY = {
    "minor": 0,
    "child_safety": 0,
    "minor_sexual": 0,
    "grooming": 0,
    "minor_self_disclosure": 0,
    "sexual_violence": 1,
    "threat": 1,
    "self_harm": 1,
    "sexual": 2,
    "hate": 2,
    "illegal": 2,
    "drugs": 2,
    "prostitution": 2,
    "harassment": 3,
    "personal_data": 3,
    "ambush_risk": 3,
    "contact_exfiltration": 3,
    "spam": 4,
    "other": 4,
}
DEFAULT_SEVERITY = 4


def severity_of(category: str) -> int:
    """Severity of a notice category (moderation/categories.toml) or of a safety label."""
    known = categories().get(category)
    return known.severity if known is not None else SEVERITY.get(category, DEFAULT_SEVERITY)


def snapshot(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """Hash each (kind, data) item, then the list of item hashes."""
    hashed = [{"kind": kind, "data": data, "sha256": digest(data)} for kind, data in items]
    return {"items": hashed, "sha256": digest([h["sha256"] for h in hashed])}


class Cases:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def on_report(
        self,
        report_id: str,
        reporter_id: str | None,
        *,
        conv: str | None,
        seq: int | None,
        user: str | None,
        room: str | None,
        category: str,
        reporter_key: str | None = None,
        trusted: bool = False,
    ) -> CaseRow:
        """Open a case for the report's target, or join the open one (duplicates make one case).

        A trusted flagger's notice (DSA art. 22) comes first in the queue; a notifier
        deprioritised for manifestly unfounded notices (art. 23) comes last."""
        subject: str | None = None
        if conv is not None and seq is not None:
            target = f"message:{conv}:{seq}"
            message = await self._store.messages.get(conv, seq, retracted=True)
            subject = message.sender_id if message is not None else None
        elif user is not None:
            target = f"user:{user}"
            subject = user
        else:
            target = f"room:{room}"
            found = await self._store.rooms.get(room) if room is not None else None
            subject = found.owner_id if found is not None else None
        now = now_ms()
        origin = "report"
        if trusted:
            origin = "trusted"
        elif reporter_key is not None:
            standing = await self._store.reports.standing(reporter_key)
            if standing is not None and standing.deprioritised_until > now:
                origin = "deprioritised"
        severity = severity_of(category)
        existing = await self._store.cases.open_for(target)
        if existing is not None:
            await self._store.cases.join(existing.id, report_id, severity, origin, now)
            return existing
        evidence = snapshot(await self._evidence(conv, seq, user, room))
        case = CaseRow(
            new_id("c"),
            target,
            category,
            severity,
            origin,
            "open",
            1,
            now,
            now,
            evidence,
            evidence["sha256"],
            False,
            subject,
        )
        await self._store.cases.create(case, report_id)
        return case

    async def on_flag(self, event: SafetyEvent) -> CaseRow:
        """An automated flag of the safety engine opens a case the same way, marked automated."""
        target = f"message:{event.conv_id}:{event.seq}" if event.seq is not None else f"flag:{event.id}"
        category = min(event.labels, key=severity_of) if event.labels else "other"
        now = now_ms()
        existing = await self._store.cases.open_for(target)
        if existing is not None:
            return existing
        items: list[tuple[str, Any]] = [("flagged_message", asdict(event))]
        if event.conv_id is not None:
            before = None if event.seq is None else event.seq + 1
            around = await self._store.messages.latest(event.conv_id, 2 * CONTEXT_MESSAGES + 1, before=before)
            items += [("context_message", m.wire()) for m in around if m.seq != event.seq]
        people = sorted(p for p in (event.user_id, event.recipient_id) if p)
        for _uid, profile in sorted((await self._store.sessions.get_many(people)).items()):
            items.append(("declared_profile", profile.public()))
        evidence = snapshot(items)
        case = CaseRow(
            new_id("c"),
            target,
            category,
            severity_of(category),
            "automated",
            "open",
            0,
            now,
            now,
            evidence,
            evidence["sha256"],
            # The policy marks what may concern the authorities (DSA art. 18): its evidence is kept
            # under legal hold from the start, before anyone looks at it.
            event.escalate,
            event.user_id,
        )
        await self._store.cases.create(case, None)
        return case

    async def _evidence(
        self, conv: str | None, seq: int | None, user: str | None, room: str | None
    ) -> list[tuple[str, Any]]:
        items: list[tuple[str, Any]] = []
        authors: set[str] = set()
        if conv is not None and seq is not None:
            messages = self._store.messages
            before = await messages.latest(conv, CONTEXT_MESSAGES + 1, before=seq + 1)
            after = await messages.after(conv, seq, CONTEXT_MESSAGES)
            for m in [*before, *after]:
                items.append(("target_message" if m.seq == seq else "context_message", m.wire()))
                authors.add(m.sender_id)
            if before or after:
                first, last = (before or after)[0].seq, (after or before)[-1].seq
                for event in await self._store.safety.in_conversation(conv, first, last):
                    items.append(("safety_decision", asdict(event)))
        if user is not None:
            authors.add(user)
        for _uid, profile in sorted((await self._store.sessions.get_many(sorted(authors))).items()):
            items.append(("declared_profile", profile.public()))
        if room is not None:
            found = await self._store.rooms.get(room)
            items.append(
                ("room", {"id": room} if found is None else {**found.public(0), "owner": found.owner_id})
            )
        return items
