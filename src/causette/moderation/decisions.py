"""Decisions on cases, statements of reasons and appeals (DSA arts. 17, 18, 20, 23).

A moderator's action on a case becomes a decision: it takes effect at once across the running
service (through the `Enforcer` the chat layer provides), it is written to the audit chain, the
affected user receives a statement of reasons (art. 17) with a key to appeal it for six months
(art. 20), and the notifiers learn the outcome (art. 16(5)). An appeal is decided by another
moderator; a reversal undoes the action. Notices dismissed as manifestly unfounded count against
their notifier: a warning first, then their notices are deprioritised (art. 23).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from causette.domain.ids import new_id
from causette.domain.network import address_prefix
from causette.moderation.accounts import Moderator
from causette.moderation.audit import AuditLog
from causette.moderation.catalog import grounds
from causette.store import Store
from causette.store.cases import CaseRow
from causette.store.database import now_ms
from causette.store.decisions import AppealExists, AppealRow, DecisionRow
from causette.store.reports import ReportRow, Standing

DAY_MS = 86_400_000
# Art. 20(1): complaints can be lodged for at least six months after the decision.
APPEAL_WINDOW_MS = 183 * DAY_MS
MAX_DURATION_MINUTES = 525_600  # one year
ACTIONS = ("dismiss", "delete_message", "warn", "timeout", "ban", "close_room", "escalate")
# Actions that restrict a user, and so carry a statement of reasons that can be appealed.
RESTRICTING = ("delete_message", "warn", "timeout", "ban", "close_room")
ROLES_ACTING = ("moderator", "admin")
# The engine's restriction of a sender's private messages pending review (chat.service).
RESTRICTED_PM = "private_messages"
ROLES_ESCALATING = ("moderator", "admin", "legal")

RESTRICTION_FR = {
    "delete_message": "Message supprimé",
    "warn": "Avertissement",
    "timeout": "Envoi de messages suspendu",
    "ban": "Exclusion de Causette",
    "close_room": "Salon fermé",
}
OUTCOME_FR = {
    "dismiss": "Après examen, votre signalement n'a pas donné lieu à une mesure.",
    "delete_message": "Merci : le contenu signalé a été supprimé.",
    "warn": "Merci : la personne signalée a reçu un avertissement.",
    "timeout": "Merci : la personne signalée ne peut plus écrire pendant un temps.",
    "ban": "Merci : la personne signalée a été exclue.",
    "close_room": "Merci : le salon signalé a été fermé.",
}
REDRESS_FR = (
    "Vous pouvez contester cette décision gratuitement pendant six mois depuis Causette ; une autre "
    "personne de l'équipe de modération l'examinera. Vous pouvez aussi saisir un organisme de "
    "règlement extrajudiciaire des litiges certifié (DSA, art. 21) ou le juge."
)


class ModerationError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Enforcer(Protocol):
    """What the running service does when a decision takes effect or is undone (the chat
    service implements it; moderation sits above chat in the layers and must not import it)."""

    def notify(self, user_id: str, frame: dict[str, Any]) -> None: ...

    async def timeout(self, user_id: str, until: int) -> None: ...

    async def ban(self, user_id: str) -> None: ...

    async def unban(self, user_id: str) -> None: ...

    async def retract(self, conv: str, seq: int) -> bool: ...

    async def restore(self, conv: str, seq: int) -> bool: ...

    async def close_room(self, room_id: str) -> bool: ...

    async def reopen_room(self, room_id: str) -> bool: ...

    async def release_held(self, event_id: str) -> bool: ...

    async def lift_restriction(self, user_id: str, restriction: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class ActionRequest:
    action: str
    ground: str
    facts: str = ""
    duration_minutes: int | None = None
    ban_device: bool = False
    ban_ip_prefix: bool = False
    unfounded: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    ban_network_max_days: int = 30
    unfounded_warning: int = 3
    unfounded_window_days: int = 90
    deprioritise_days: int = 30


# Writes the escalation package of a case (governance.legal): returns (path, manifest sha256).
Exporter = Callable[[str], Awaitable[tuple[str, str]]]


def target_parts(target: str) -> tuple[str, str, int | None]:
    """("message", conv, seq) | ("user", id, None) | ("room", id, None) | ("flag", id, None)."""
    kind, _, rest = target.partition(":")
    if kind == "message":
        conv, _, seq = rest.rpartition(":")
        return kind, conv, int(seq) if seq.isdigit() else None
    return kind, rest, None


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d/%m/%Y %H:%M UTC")


class Moderation:
    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        enforcer: Enforcer,
        policy: Policy | None = None,
        exporter: Exporter | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.enforcer = enforcer
        self.policy = policy or Policy()
        self.exporter = exporter

    # --- what applies ------------------------------------------------------------------------------
    @staticmethod
    def actions_for(case: CaseRow) -> list[str]:
        kind, conv, _seq = target_parts(case.target)
        out = ["dismiss"]
        if kind == "message":
            out.append("delete_message")
        if case.subject_id is not None:
            out += ["warn", "timeout", "ban"]
        if (kind == "room") or (kind == "message" and not conv.startswith("pm-")):
            out.append("close_room")
        out.append("escalate")
        return out

    # --- acting on a case --------------------------------------------------------------------------
    async def act(
        self, case_id: str, moderator: Moderator, req: ActionRequest
    ) -> tuple[DecisionRow, CaseRow]:
        case = await self.store.cases.get(case_id)
        if case is None:
            raise ModerationError("not_found", "Dossier introuvable.")
        if req.action not in ACTIONS:
            raise ModerationError("action_invalid", f"Action inconnue : {req.action}.")
        allowed_roles = ROLES_ESCALATING if req.action == "escalate" else ROLES_ACTING
        if moderator.role not in allowed_roles:
            raise ModerationError("forbidden", "Votre rôle ne permet pas cette action.")
        if req.action not in self.actions_for(case):
            raise ModerationError("action_invalid", "Cette action ne s'applique pas à ce dossier.")
        if not req.ground:
            raise ModerationError("ground_required", "Choisissez le motif de la décision.")
        ground = grounds().get(req.ground)
        if ground is None:
            raise ModerationError("ground_invalid", "Motif inconnu.")
        facts = req.facts.strip()
        if len(facts) > 4000:
            raise ModerationError("bad_request", "Les faits tiennent en 4 000 caractères au plus.")
        minutes = req.duration_minutes
        if minutes is not None and not 1 <= minutes <= MAX_DURATION_MINUTES:
            raise ModerationError("bad_request", "Durée invalide (1 minute à 1 an).")
        if req.action == "timeout" and minutes is None:
            raise ModerationError("bad_request", "Une suspension a une durée.")

        now = now_ms()
        kind, ident, seq = target_parts(case.target)
        subject = case.subject_id if req.action in ("warn", "timeout", "ban", "delete_message") else None
        if req.action == "close_room":
            room_id = ident
            room = await self.store.rooms.get(room_id)
            subject = room.owner_id if room is not None else None
        device, address = (None, None)
        if subject is not None:
            device, address = await self.store.sessions.network_of(subject)
        until = now + minutes * 60_000 if minutes is not None and req.action in ("timeout", "ban") else None
        ban_device, prefix, network_until = False, None, None
        if req.action == "ban" and (req.ban_device or req.ban_ip_prefix):
            cap = now + self.policy.ban_network_max_days * DAY_MS
            network_until = min(until, cap) if until is not None else cap
            ban_device = req.ban_device and device is not None
            prefix = address_prefix(address) if req.ban_ip_prefix else None
        decision = DecisionRow(
            id=new_id("d"),
            case_id=case.id,
            moderator_id=moderator.id,
            moderator_name=moderator.name,
            action=req.action,
            ground=ground.ref,
            facts=facts,
            target=case.target,
            subject_id=subject,
            subject_device=device,
            until=until,
            ban_device=ban_device,
            ban_ip_prefix=prefix,
            network_until=network_until,
            automated_detection=case.origin == "automated",
            status="in_force",
            created_at=now,
            appeal_until=now + APPEAL_WINDOW_MS,
            appeal_key=secrets.token_urlsafe(24),
        )
        await self.store.decisions.create(decision)
        export: tuple[str, str] | None = None
        if req.action == "escalate":
            # The package holds the escalation decision itself; the audit entry, its manifest hash.
            await self.store.cases.set_legal_hold(case.id, True, now)
            if self.exporter is not None:
                export = await self.exporter(case.id)
        await self._take_effect(decision, kind, ident, seq)
        if case.origin == "automated" and case.subject_id and req.action not in ("ban", "escalate"):
            # Private messages the engine suspended pending review: the review is done.
            await self.enforcer.lift_restriction(case.subject_id, RESTRICTED_PM)
        details: dict[str, Any] = {
            "decision": decision.id,
            "ground": ground.ref,
            "subject": subject,
            "until": until,
            "ban_device": ban_device,
            "ban_ip_prefix": prefix,
            "unfounded": req.unfounded,
        }
        if export is not None:
            details["export"] = {"path": export[0], "manifest_sha256": export[1]}
        await self.audit.record(f"moderator:{moderator.id}", f"case.{req.action}", f"case:{case.id}", details)
        if req.action != "escalate":
            await self.store.cases.close(case.id, now)
            await self._tell_notifiers(case, decision, req.unfounded, now)
        if subject is not None and req.action in RESTRICTING and req.action != "ban":
            self.enforcer.notify(subject, await self.statement_frame(decision))
        after = await self.store.cases.get(case.id)
        assert after is not None
        return decision, after

    async def _take_effect(self, d: DecisionRow, kind: str, ident: str, seq: int | None) -> None:
        e = self.enforcer
        if kind == "flag" and d.action != "escalate":
            # A message the engine held: released if harmless, otherwise it never goes out.
            if d.action == "dismiss":
                await e.release_held(ident)
            else:
                await self.store.safety.set_status(ident, "open", "rejected")
        if d.action == "delete_message" and kind == "message" and seq is not None:
            await e.retract(ident, seq)
        elif d.action == "timeout" and d.subject_id is not None and d.until is not None:
            await e.timeout(d.subject_id, d.until)
        elif d.action == "ban" and d.subject_id is not None:
            # The statement goes out first, on the same channel, so it precedes the close.
            self.enforcer.notify(d.subject_id, await self.statement_frame(d))
            await e.ban(d.subject_id)
        elif d.action == "close_room":
            await e.close_room(ident)

    async def _undo(self, d: DecisionRow) -> None:
        kind, ident, seq = target_parts(d.target)
        e = self.enforcer
        if d.action == "delete_message" and kind == "message" and seq is not None:
            await e.restore(ident, seq)
        elif d.action == "timeout" and d.subject_id is not None:
            # Another time-out may still run: the session keeps the latest end in force.
            await e.timeout(d.subject_id, await self.store.decisions.timed_out_until(d.subject_id, now_ms()))
        elif d.action == "ban" and d.subject_id is not None:
            if not await self.store.decisions.user_banned(d.subject_id, now_ms()):
                await e.unban(d.subject_id)
        elif d.action == "close_room":
            await e.reopen_room(ident)

    # --- notifiers (art. 16(5)) and unfounded notices (art. 23) -----------------------------------
    async def _tell_notifiers(self, case: CaseRow, d: DecisionRow, unfounded: bool, now: int) -> None:
        outcome = {
            "action": d.action,
            "decided_at": now,
            "text": OUTCOME_FR.get(d.action, OUTCOME_FR["dismiss"]),
        }
        notices = await self.store.reports.decide_case(
            case.id, outcome, unfounded and d.action == "dismiss", now
        )
        for notice in notices:
            if notice.source == "chat" and notice.reporter_id is not None:
                self.enforcer.notify(
                    notice.reporter_id,
                    {"t": "notice", "code": "report_outcome", "text": outcome["text"], "report": notice.id},
                )
        if unfounded and d.action == "dismiss":
            for key, reporter in {n.reporter_key: n for n in notices if n.reporter_key}.items():
                assert key is not None
                await self._count_unfounded(key, reporter, now)

    async def _count_unfounded(self, key: str, notice: ReportRow, now: int) -> None:
        p = self.policy
        s = await self.store.reports.standing(key)
        if s is None or now - s.window_start > p.unfounded_window_days * DAY_MS:
            s = Standing(
                key, 0, now, s.warned_at if s is not None else None, s.deprioritised_until if s else 0
            )
        s = replace(s, unfounded=s.unfounded + 1)
        warned_now = False
        if s.warned_at is not None and s.unfounded > p.unfounded_warning:
            s = replace(
                s, deprioritised_until=now + p.deprioritise_days * DAY_MS, unfounded=0, window_start=now
            )
        elif s.warned_at is None and s.unfounded >= p.unfounded_warning:
            s = replace(s, warned_at=now)
            warned_now = True
        await self.store.reports.save_standing(s)
        await self.audit.record(
            "system", "notifier.standing", key, {"unfounded": s.unfounded, "warned": warned_now}
        )
        if warned_now and notice.source == "chat" and notice.reporter_id is not None:
            self.enforcer.notify(
                notice.reporter_id,
                {"t": "notice", "code": "reports_warning", "text": UNFOUNDED_WARNING_FR},
            )

    # --- statements of reasons (art. 17) --------------------------------------------------------------
    async def statement(
        self, d: DecisionRow, appeal: AppealRow | None = None, *, with_key: bool = True
    ) -> dict[str, Any]:
        ground = grounds().get(d.ground)
        now = now_ms()
        if d.status == "reversed":
            status = "reversed"
        elif d.until is not None and d.until <= now and d.action in ("timeout", "ban"):
            status = "expired"
        else:
            status = "in_force"
        return {
            "id": d.id,
            "action": d.action,
            "restriction": RESTRICTION_FR.get(d.action, d.action),
            "until": d.until,
            "permanent": d.action == "ban" and d.until is None,
            "facts": d.facts,
            "automated_detection": d.automated_detection,
            "automated_decision": False,
            "ground": ground.public()
            if ground is not None
            else {"ref": d.ground, "kind": "", "title": "", "text": ""},
            "decided_at": d.created_at,
            "status": status,
            "redress": REDRESS_FR,
            "appeal": {
                "until": d.appeal_until,
                "key": d.appeal_key if with_key else None,
                "state": None if appeal is None else appeal.status,
                "reply": None if appeal is None else appeal.reply,
            },
        }

    async def statement_frame(self, d: DecisionRow) -> dict[str, Any]:
        st = await self.statement(d)
        parts = [f"{st['restriction']}."]
        if d.until is not None:
            parts.append(f"Jusqu'au {_when(d.until)}.")
        elif d.action == "ban":
            parts.append("Sans limite de durée.")
        parts.append(f"Motif : {st['ground']['title']}.")
        if d.facts:
            parts.append(f"Faits : {d.facts}")
        if d.automated_detection:
            parts.append(
                "Le contenu a été repéré par un outil automatique ; la décision a été prise par une personne."
            )
        parts.append(REDRESS_FR)
        return {"t": "notice", "code": "statement_of_reasons", "text": " ".join(parts), "statement": st}

    async def statements_for(self, user_ids: list[str], device: str | None) -> list[dict[str, Any]]:
        found = await self.store.decisions.of_subjects(user_ids, device)
        found = [d for d in found if d.action in RESTRICTING]
        appeals = await self.store.decisions.appeals_of([d.id for d in found])
        return [await self.statement(d, appeals.get(d.id)) for d in found]

    # --- appeals (art. 20) ------------------------------------------------------------------------------
    async def file_appeal(self, decision_id: str, key: str, text: str) -> AppealRow:
        d = await self.store.decisions.get(decision_id)
        if d is None or d.action not in RESTRICTING or not hmac.compare_digest(d.appeal_key, key):
            raise ModerationError("not_found", "Décision introuvable.")
        text = text.strip()
        if not 1 <= len(text) <= 4000:
            raise ModerationError("bad_request", "Expliquez votre contestation (4 000 caractères au plus).")
        now = now_ms()
        if now > d.appeal_until:
            raise ModerationError("appeal_closed", "Le délai de six mois pour contester est passé.")
        appeal = AppealRow(new_id("a"), d.id, text, now, "open", None, None, None)
        try:
            await self.store.decisions.create_appeal(appeal)
        except AppealExists:
            raise ModerationError("appeal_exists", "Cette décision est déjà contestée.") from None
        await self.audit.record(
            f"user:{d.subject_id}",
            "appeal.filed",
            f"decision:{d.id}",
            {"appeal": appeal.id, "case": d.case_id},
        )
        return appeal

    async def decide_appeal(
        self, appeal_id: str, moderator: Moderator, outcome: str, reply: str
    ) -> tuple[AppealRow, DecisionRow]:
        if moderator.role not in ROLES_ACTING:
            raise ModerationError("forbidden", "Votre rôle ne permet pas de trancher une contestation.")
        if outcome not in ("uphold", "reverse"):
            raise ModerationError("bad_request", "Décision : maintenir ou annuler.")
        reply = reply.strip()
        if len(reply) > 4000:
            raise ModerationError("bad_request", "La réponse tient en 4 000 caractères au plus.")
        appeal = await self.store.decisions.appeal(appeal_id)
        if appeal is None:
            raise ModerationError("not_found", "Contestation introuvable.")
        d = await self.store.decisions.get(appeal.decision_id)
        if d is None:
            raise ModerationError("not_found", "Décision introuvable.")
        if d.moderator_id == moderator.id:
            # Art. 20(6): decided by someone else than the one who acted.
            raise ModerationError("same_moderator", "Une autre personne doit examiner cette contestation.")
        if appeal.status != "open":
            raise ModerationError("appeal_decided", "Cette contestation est déjà tranchée.")
        now = now_ms()
        status = "reversed" if outcome == "reverse" else "upheld"
        if not await self.store.decisions.decide_appeal(appeal.id, status, moderator.id, reply, now):
            raise ModerationError("appeal_decided", "Cette contestation est déjà tranchée.")
        if status == "reversed" and await self.store.decisions.reverse(d.id, now):
            await self._undo(d)
        await self.audit.record(
            f"moderator:{moderator.id}",
            f"appeal.{status}",
            f"decision:{d.id}",
            {"appeal": appeal.id, "case": d.case_id},
        )
        after_appeal = await self.store.decisions.appeal(appeal.id)
        after = await self.store.decisions.get(d.id)
        assert after_appeal is not None and after is not None
        if d.subject_id is not None:
            text = (
                "Votre contestation a été acceptée : la décision est annulée."
                if status == "reversed"
                else "Votre contestation a été examinée : la décision est maintenue."
            )
            if reply:
                text += f" {reply}"
            self.enforcer.notify(
                d.subject_id,
                {
                    "t": "notice",
                    "code": "appeal_decided",
                    "text": text,
                    "statement": await self.statement(after, after_appeal),
                },
            )
        return after_appeal, after


UNFOUNDED_WARNING_FR = (
    "Plusieurs de vos signalements ont été jugés manifestement infondés. Si cela continue, vos "
    "prochains signalements seront traités en dernier pendant un temps (DSA, art. 23)."
)
