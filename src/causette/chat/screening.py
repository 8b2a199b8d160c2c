"""Screening: the safety engine on the message path, with the context it needs.

The engine is pure (causette.safety); this module keeps, in memory, what it needs to know about
a message's surroundings — the last messages of each conversation, each sender's recent texts,
labels and first contacts, who said they are a minor — builds its Context, records what it
labelled (safety_events, for the moderators), and applies the policy's side effects.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from causette.chat.hub import SessionState
from causette.domain.ids import new_id
from causette.domain.models import User
from causette.safety.classifier import Classifier
from causette.safety.engine import ALLOW, Context, Decision, Recent, SafetyEngine
from causette.safety.policy import Action, Effects
from causette.settings import Settings
from causette.store import Store
from causette.store.database import now_ms
from causette.store.safety_events import SafetyEvent

_DIGITS = re.compile(r"[0-9]+")
# Senders whose recent activity is remembered; the least recently active are forgotten.
MAX_TRACKED_SENDERS = 200_000
# Conversations whose recent messages are remembered; the least recently used are forgotten.
MAX_TRACKED_CONVERSATIONS = 50_000

NOTICES_FR = {
    "safety_meeting": (
        "Conseil sécurité : cette personne propose de te voir ou demande où tu habites. Pour une "
        "première rencontre, choisis un lieu public, préviens un proche et ne donne pas ton adresse."
    ),
    "safety_contact": (
        "Cette personne partage un contact ou t'invite sur une autre application. Hors de Causette, "
        "nos modérateurs ne peuvent plus te protéger : ne partage ni photos ni informations personnelles."
    ),
    "safety_restricted": (
        "Tes messages privés sont suspendus le temps qu'un modérateur examine la situation."
    ),
    "safety_warning": (
        "Ton message a été relevé par nos filtres ({reasons}). Reste respectueux : en cas de récidive, "
        "tes messages seront retenus pour vérification."
    ),
}


@dataclass(slots=True)
class SenderActivity:
    """What the engine must know of a sender's last minutes (kept per session, in memory)."""

    texts: deque[tuple[float, str, str]] = field(default_factory=lambda: deque(maxlen=20))  # (t, cid, text)
    labels: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=50))
    first_contacts: deque[float] = field(default_factory=lambda: deque(maxlen=1000))


class Screening:
    def __init__(
        self, engine: SafetyEngine, store: Store, settings: Settings, model: Classifier | None = None
    ) -> None:
        self.engine = engine
        self.model = model
        self.store = store
        # Moderation is above chat in the layers: it hands in what opens a case for a flag.
        self.on_flag: Callable[[SafetyEvent], Awaitable[Any]] | None = None
        self.settings = settings
        self._recent: OrderedDict[str, deque[tuple[str, frozenset[str]]]] = OrderedDict()
        # Kept across reconnects (a spammer must not reset their first-contact count by
        # reconnecting), the least recently active forgotten first.
        self._activity: OrderedDict[str, SenderActivity] = OrderedDict()

    def activity(self, user_id: str) -> SenderActivity:
        act = self._activity.get(user_id)
        if act is None:
            act = self._activity[user_id] = SenderActivity()
            if len(self._activity) > MAX_TRACKED_SENDERS:
                self._activity.popitem(last=False)
        else:
            self._activity.move_to_end(user_id)
        return act

    # --- checking --------------------------------------------------------------------------------
    def check(
        self,
        session: SessionState,
        text: str,
        cid: str,
        channel: str,
        conv: str | None,
        recipient: User | None = None,
        recipient_minor: bool = False,
    ) -> Decision:
        if not self.settings.safety_on:
            return ALLOW  # a load test measuring the engine's cost (settings.safety)
        now = time.monotonic()
        act = self.activity(session.user.id)
        s = self.settings
        repeated = any(
            t == text and c != cid and now - at <= s.safety_repeat_window_seconds for at, c, t in act.texts
        )
        recent_labels = frozenset(
            label for at, label in act.labels if now - at <= s.safety_repeat_window_seconds
        )
        first_contacts = sum(
            1 for at in act.first_contacts if now - at <= s.safety_first_contact_window_seconds
        )
        history = self._recent.get(conv) if conv is not None else None
        recent = tuple(Recent(sender == session.user.id, groups) for sender, groups in history or ())
        ctx = Context(
            channel=channel,
            sender_age=session.user.age,
            recipient_age=recipient.age if recipient is not None else None,
            sender_apparent_minor=session.apparent_minor,
            recipient_apparent_minor=recipient_minor,
            new_contact=channel == "request",
            recent=recent,
            repeated=repeated,
            first_contacts=first_contacts,
            sender_recent_labels=recent_labels,
        )
        decision = self.engine.check(text, ctx)
        act.texts.append((now, cid, text))
        for label in decision.labels:
            act.labels.append((now, label))
        if channel == "request":
            act.first_contacts.append(now)
        if conv is not None:
            self._remember(conv, session.user.id, decision.groups)
        return decision

    def check_name(self, name: str) -> Decision:
        """A pseudonym, room name or topic. Digits are dropped first: in a name they are decoration
        ("lea14", "kev75") and, split from the letters, they would read as ages or codes."""
        return self.engine.check(_DIGITS.sub("", name), Context(channel="name"))

    def _remember(self, conv: str, sender: str, groups: frozenset[str]) -> None:
        history = self._recent.get(conv)
        if history is None:
            history = self._recent[conv] = deque(maxlen=self.settings.safety_context_messages)
            if len(self._recent) > MAX_TRACKED_CONVERSATIONS:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(conv)
        history.append((sender, groups))

    # --- effects -----------------------------------------------------------------------------------
    async def record(
        self,
        session: SessionState,
        decision: Decision,
        text: str,
        channel: str,
        conv: str | None,
        cid: str | None,
        seq: int | None = None,
        recipient_id: str | None = None,
    ) -> SafetyEvent:
        """Keep the labelled message for the moderators (durable before a hold is answered)."""
        status = "open" if decision.action is Action.HOLD or decision.effects.case else "closed"
        event = SafetyEvent(
            id=new_id("s"),
            at=now_ms(),
            user_id=session.user.id,
            channel=channel,
            conv_id=conv,
            seq=seq,
            recipient_id=recipient_id,
            cid=cid,
            text=text,
            action=decision.action.wire,
            labels=list(decision.labels),
            severities=dict(decision.severities),
            reasons=list(decision.reasons),
            evidence=[asdict(e) for e in decision.evidence],
            open_case=decision.effects.case,
            escalate=decision.effects.escalate,
            status=status,
        )
        stored = await self.store.safety.record(event)
        if stored.id == event.id and stored.open_case and self.on_flag is not None:
            await self.on_flag(stored)  # a first record, not a retried cid
        return stored

    async def second_look(
        self,
        session: SessionState,
        text: str,
        channel: str,
        conv: str | None,
        cid: str,
        seq: int | None,
        recipient_id: str | None,
        rule_labels: tuple[str, ...],
    ) -> None:
        """The optional model, off the hot path (in a worker thread), after delivery: what it
        flags beyond the rules opens a case for a person to look at."""
        if self.model is None:
            return
        model_labels = await asyncio.to_thread(self.model.labels_of, text)
        extra = tuple(label for label in model_labels if label not in rule_labels)
        if not extra:
            return
        decision = Decision(
            Action.ALLOW,
            extra,
            dict.fromkeys(extra, "low"),
            (f"Relevé par le modèle ({', '.join(extra)}), à vérifier.",),
            effects=Effects(case=True),
        )
        await self.record(session, decision, text, channel, conv, f"model:{cid}", seq, recipient_id)

    async def apply(self, session: SessionState, decision: Decision) -> bool:
        """Apply the side effects on the sender; True if the sender was newly restricted."""
        minor = "minor_self_disclosure" in decision.labels
        restriction = decision.effects.restrict_sender
        newly = bool(restriction) and restriction not in session.restrictions
        if minor:
            session.apparent_minor = True
        if restriction:
            session.restrictions.add(restriction)
        if minor or restriction:
            await self.store.safety.mark_user(session.user.id, apparent_minor=minor, restriction=restriction)
        return newly


def notice_text(code: str, reasons: tuple[str, ...] = ()) -> str:
    template = NOTICES_FR.get(code) or NOTICES_FR["safety_warning"]
    return template.format(reasons=" ; ".join(r.rstrip(".") for r in reasons) or "propos inappropriés")
