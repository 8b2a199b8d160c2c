"""Notices from outside the chat (DSA art. 16): the public form, its receipts and outcomes.

Anyone can notify a message, a user or a room without a chat session. The notice states its
category, an explanation, the exact target, an optional contact (never required, in particular
not for child sexual abuse material) and that it is made in good faith. The notifier gets a
receipt id and key, with which they follow the outcome. A trusted flagger (art. 22) sends its
key as a bearer token; its notices come first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from causette.domain.ids import new_id
from causette.domain.network import address_prefix
from causette.moderation.cases import Cases
from causette.moderation.catalog import categories
from causette.moderation.decisions import UNFOUNDED_WARNING_FR, ModerationError
from causette.store import Store
from causette.store.database import now_ms

MAX_EXPLANATION = 4000
MAX_CONTACT = 200


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_trusted(entries: list[str]) -> dict[str, str]:
    """Setting `trusted_flaggers` ("name:sha256-of-key") → {sha256: name}."""
    out: dict[str, str] = {}
    for entry in entries:
        name, _, digest = entry.rpartition(":")
        digest = digest.strip().lower()
        if not name or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"trusted_flaggers: {entry!r} is not 'name:<sha256 hex>'")
        out[digest] = name.strip()
    return out


def reporter_key(device: str | None, user_id: str | None, address: str | None) -> str | None:
    """Whom art. 23 counts unfounded notices against: the device, else the session, else the
    address prefix."""
    if device:
        return f"d:{device}"
    if user_id:
        return f"u:{user_id}"
    prefix = address_prefix(address)
    return f"ip:{prefix}" if prefix else None


class Notices:
    def __init__(self, store: Store, cases: Cases, trusted: dict[str, str] | None = None) -> None:
        self.store = store
        self.cases = cases
        self.trusted = trusted or {}

    def flagger(self, bearer: str | None) -> str | None:
        if not bearer:
            return None
        digest = _sha256(bearer)
        for known, name in self.trusted.items():
            if hmac.compare_digest(known, digest):
                return name
        return None

    async def submit(
        self,
        body: dict[str, Any],
        *,
        address: str | None,
        device: str | None,
        user_id: str | None,
        flagger: str | None,
    ) -> dict[str, Any]:
        target = body.get("target")
        if not isinstance(target, dict):
            raise ModerationError("bad_request", "Indiquez ce que vous signalez (target).")
        category = body.get("category")
        if not isinstance(category, str) or category not in categories():
            raise ModerationError("category_invalid", "Catégorie de signalement inconnue.")
        explanation = body.get("explanation")
        if not isinstance(explanation, str) or not 1 <= len(explanation.strip()) <= MAX_EXPLANATION:
            raise ModerationError("bad_request", "Expliquez le problème (4 000 caractères au plus).")
        contact = body.get("contact")
        if contact is not None and (not isinstance(contact, str) or len(contact) > MAX_CONTACT):
            raise ModerationError("bad_request", "Le contact tient en 200 caractères au plus.")
        if body.get("good_faith") is not True:
            raise ModerationError(
                "good_faith_required", "Confirmez que votre signalement est fait de bonne foi."
            )
        conv, seq, user, room = await self._target(target)
        now = now_ms()
        report_id = new_id("r")
        key = secrets.token_urlsafe(18)
        rkey = reporter_key(device, user_id, address)
        await self.store.reports.create(
            report_id,
            user_id,
            conv=conv,
            seq=seq,
            user=user,
            room=room,
            category=category,
            text=explanation.strip(),
            now=now,
            source="form",
            contact=(contact or "").strip() or None,
            reporter_key=rkey,
            receipt_key_sha256=_sha256(key),
            flagger=flagger,
        )
        await self.cases.on_report(
            report_id,
            user_id,
            conv=conv,
            seq=seq,
            user=user,
            room=room,
            category=category,
            reporter_key=rkey,
            trusted=flagger is not None,
        )
        return {"receipt": report_id, "key": key, "status": "received", "received_at": now}

    async def _target(self, target: dict[str, Any]) -> tuple[str | None, int | None, str | None, str | None]:
        conv, seq, user, room = target.get("conv"), target.get("seq"), target.get("user"), target.get("room")
        if conv is not None:
            if (
                not isinstance(conv, str)
                or not isinstance(seq, int)
                or isinstance(seq, bool)
                or len(conv) > 64
            ):
                raise ModerationError("bad_request", "Un message se désigne par conv et seq.")
            if await self.store.messages.get(conv, seq) is None:
                raise ModerationError("not_found", "Ce message n'existe pas (ou plus).")
            return conv, seq, None, None
        if user is not None:
            if not isinstance(user, str) or len(user) > 64 or await self.store.sessions.get(user) is None:
                raise ModerationError("not_found", "Cette personne est introuvable.")
            return None, None, user, None
        if room is not None:
            if not isinstance(room, str) or len(room) > 64 or await self.store.rooms.get(room) is None:
                raise ModerationError("not_found", "Ce salon est introuvable.")
            return None, None, None, room
        raise ModerationError(
            "bad_request", "Indiquez un message (conv, seq), une personne (user) ou un salon (room)."
        )

    async def receipt(self, report_id: str, key: str) -> dict[str, Any]:
        found = await self.store.reports.get(report_id)
        if (
            found is None
            or found.receipt_key_sha256 is None
            or not hmac.compare_digest(found.receipt_key_sha256, _sha256(key))
        ):
            raise ModerationError("not_found", "Accusé de réception introuvable.")
        warning = None
        if found.reporter_key:
            standing = await self.store.reports.standing(found.reporter_key)
            if standing is not None and standing.warned_at is not None:
                warning = UNFOUNDED_WARNING_FR
        return {
            "receipt": found.id,
            "status": "decided" if found.outcome is not None else "received",
            "category": found.category,
            "received_at": found.at,
            "outcome": found.outcome,
            "warning": warning,
        }
