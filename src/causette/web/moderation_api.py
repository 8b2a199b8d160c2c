"""REST of the DSA workflow (docs/moderation.md): public notices, statements of reasons and
appeals, and the moderator console's API under /api/v1/mod/."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from causette.chat.ratelimit import KeyedLimiter
from causette.chat.service import ChatService
from causette.moderation.accounts import AccountError, Accounts, Moderator
from causette.moderation.catalog import categories, grounds
from causette.moderation.decisions import ActionRequest, Moderation, ModerationError, target_parts
from causette.moderation.notices import Notices
from causette.settings import Settings
from causette.store.cases import CaseRow
from causette.store.decisions import DecisionRow

DEVICE_COOKIE = "causette_device"


class ApiError(Exception):
    def __init__(self, code: str, message: str, **extra: Any) -> None:
        self.code, self.message, self.extra = code, message, extra


# --- request bodies (they make the OpenAPI schema) ------------------------------------------------
class TargetIn(BaseModel):
    conv: str | None = Field(default=None, max_length=64)
    seq: int | None = Field(default=None, ge=1)
    user: str | None = Field(default=None, max_length=64)
    room: str | None = Field(default=None, max_length=64)


class NoticeIn(BaseModel):
    target: TargetIn
    category: str = Field(max_length=40)
    explanation: str = Field(max_length=4000)
    contact: str | None = Field(default=None, max_length=200)
    good_faith: bool = False


class AppealIn(BaseModel):
    statement: str = Field(max_length=64)
    key: str = Field(max_length=200)
    text: str = Field(max_length=4000)


class LoginIn(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    code: str = Field(max_length=12)


class ActionIn(BaseModel):
    action: Literal["dismiss", "delete_message", "warn", "timeout", "ban", "close_room", "escalate"]
    ground: str = Field(default="", max_length=40)
    facts: str = Field(default="", max_length=4000)
    duration_minutes: int | None = Field(default=None, ge=1, le=525_600)
    ban_device: bool = False
    ban_ip_prefix: bool = False
    unfounded: bool = False


class AppealDecisionIn(BaseModel):
    outcome: Literal["uphold", "reverse"]
    reply: str = Field(default="", max_length=4000)


def bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer` header, or "" (none)."""
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


async def current_moderator(request: Request) -> Moderator:
    """The moderator of the console session's bearer token, or a 401."""
    accounts: Accounts = request.app.state.accounts
    settings: Settings = request.app.state.settings
    found = await accounts.session(bearer_token(request), settings.mod_session_idle_seconds)
    if found is None:
        raise ApiError("unauthorized", "Session de modération absente ou expirée : reconnectez-vous.")
    return found


Mod = Annotated[Moderator, Depends(current_moderator)]


def decision_public(d: DecisionRow) -> dict[str, Any]:
    ground = grounds().get(d.ground)
    return {
        "id": d.id,
        "case": d.case_id,
        "moderator": {"id": d.moderator_id, "name": d.moderator_name},
        "action": d.action,
        "ground": ground.public() if ground else {"ref": d.ground},
        "facts": d.facts,
        "subject": d.subject_id,
        "target": d.target,
        "until": d.until,
        "ban_device": d.ban_device,
        "ban_ip_prefix": d.ban_ip_prefix,
        "status": d.status,
        "created_at": d.created_at,
        "appeal_until": d.appeal_until,
        "automated_detection": d.automated_detection,
    }


def _summary(case: CaseRow) -> str:
    """What the queue shows of a case: the message, else the reported person or room."""
    kind, ident, _seq = target_parts(case.target)
    items = case.evidence.get("items", [])
    for item in items:
        if item.get("kind") in ("target_message", "flagged_message"):
            return str(item["data"].get("text", ""))[:140]
    for item in items:
        data = item.get("data", {})
        if kind == "user" and item.get("kind") == "declared_profile" and data.get("id") == ident:
            return f"Profil : {data.get('pseudonym', ident)}"
        if kind == "room" and item.get("kind") == "room" and data.get("name"):
            return f"Salon : {data['name']}"
    return f"{kind} {ident}"


def case_public(
    case: CaseRow, subjects: dict[str, dict[str, Any]], *, evidence: bool = False
) -> dict[str, Any]:
    kind, _ident, _seq = target_parts(case.target)
    out: dict[str, Any] = {
        "id": case.id,
        "target": case.target,
        "kind": kind,
        "category": case.category,
        "severity": case.severity,
        "origin": case.origin,
        "status": case.status,
        "reports": case.reports,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "legal_hold": case.legal_hold,
        "summary": _summary(case),
        "subject": subjects.get(case.subject_id) if case.subject_id else None,
    }
    if evidence:
        out["evidence"] = case.evidence
        out["evidence_sha256"] = case.evidence_sha256
    return out


def moderation_router(
    service: ChatService,
    settings: Settings,
    moderation: Moderation,
    accounts: Accounts,
    notices: Notices,
) -> APIRouter:
    store = service.store
    router = APIRouter(prefix="/api/v1")
    form_limiter = KeyedLimiter(settings.public_reports_per_hour, window_seconds=3600.0)

    async def subjects_of(ids: list[str | None]) -> dict[str, dict[str, Any]]:
        wanted = sorted({i for i in ids if i})
        found = await store.sessions.get_many(wanted)
        return {uid: {"id": uid, **user.public()} for uid, user in found.items()}

    def require(mod: Moderator, *roles: str) -> None:
        if mod.role not in roles:
            raise ApiError("forbidden", "Votre rôle ne permet pas cette opération.")

    # --- public: notices, statements, appeals ------------------------------------------------------
    @router.get("/report-categories", tags=["notices"])
    async def report_categories() -> list[dict[str, Any]]:
        return sorted((c.public() for c in categories().values()), key=lambda c: int(c["severity"]))

    @router.post("/reports", status_code=201, tags=["notices"])
    async def notify(request: Request, body: NoticeIn) -> dict[str, Any]:
        """A notice (DSA art. 16), without a chat session; trusted flaggers (art. 22) send their key."""
        address = request.client.host if request.client else "unknown"
        bearer = bearer_token(request)
        flagger = notices.flagger(bearer)
        if (
            flagger is None
            and settings.rate_limits_on
            and not await service.take_shared(
                "reports", address, settings.public_reports_per_hour, 3600.0, form_limiter
            )
        ):
            raise ApiError("rate_limited", "Trop de signalements depuis votre adresse : réessayez plus tard.")
        user = await service.authenticate(bearer) if bearer and flagger is None else None
        return await notices.submit(
            body.model_dump(),
            address=address,
            device=request.cookies.get(DEVICE_COOKIE),
            user_id=user.id if user else None,
            flagger=flagger,
        )

    @router.get("/reports/{receipt}", tags=["notices"])
    async def receipt(receipt: str, key: Annotated[str, Query(max_length=200)]) -> dict[str, Any]:
        return await notices.receipt(receipt, key)

    @router.get("/statements", tags=["statements"])
    async def statements(request: Request) -> list[dict[str, Any]]:
        """Statements of reasons (art. 17) for this session and this device."""
        bearer = bearer_token(request)
        user = await service.authenticate(bearer) if bearer else None
        device = request.cookies.get(DEVICE_COOKIE)
        ids = [user.id] if user else []
        if device:
            ids += await store.sessions.ids_of_device(device)
        return await moderation.statements_for(sorted(set(ids)), device)

    @router.post("/appeals", status_code=201, tags=["statements"])
    async def appeal(body: AppealIn) -> dict[str, Any]:
        """An appeal (art. 20): free, within six months, decided by another moderator."""
        filed = await moderation.file_appeal(body.statement, body.key, body.text)
        return {"id": filed.id, "status": filed.status}

    # --- moderators ----------------------------------------------------------------------------------
    @router.post("/mod/login", tags=["moderation"])
    async def login(body: LoginIn) -> dict[str, Any]:
        try:
            mod = await accounts.login(body.name, body.password, body.code)
        except AccountError as exc:
            raise ApiError(exc.code, exc.message) from None
        token, expires = await accounts.open_session(mod, settings.mod_session_ttl_seconds)
        return {
            "token": token,
            "moderator": {"id": mod.id, "name": mod.name, "role": mod.role},
            "expires_at": expires,
        }

    @router.post("/mod/logout", status_code=204, tags=["moderation"])
    async def logout(request: Request, mod: Mod) -> Response:
        await accounts.close_session(bearer_token(request), mod)
        return Response(status_code=204)

    @router.get("/mod/me", tags=["moderation"])
    async def me(mod: Mod) -> dict[str, Any]:
        return {"id": mod.id, "name": mod.name, "role": mod.role}

    @router.get("/mod/grounds", tags=["moderation"])
    async def list_grounds(mod: Mod) -> list[dict[str, str]]:
        return [g.public() for g in grounds().values()]

    @router.get("/mod/queue", tags=["moderation"])
    async def queue(mod: Mod, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
        open_cases = await store.cases.queue(limit)
        subjects = await subjects_of([c.subject_id for c in open_cases])
        return [case_public(c, subjects) for c in open_cases]

    @router.get("/mod/cases/{case_id}", tags=["moderation"])
    async def case_view(case_id: str, mod: Mod) -> dict[str, Any]:
        found = await store.cases.get(case_id)
        if found is None:
            raise ApiError("not_found", "Dossier introuvable.")
        subjects = await subjects_of([found.subject_id])
        others = [c for c in await store.cases.of_subject(found.subject_id)] if found.subject_id else []
        others = [c for c in others if c.id != found.id]
        decisions = await store.decisions.for_cases([found.id, *[c.id for c in others]])
        by_case: dict[str, list[str]] = {}
        for d in decisions:
            by_case.setdefault(d.case_id, []).append(d.action)
        reports = await store.reports.of_case(found.id)
        return {
            "case": case_public(found, subjects, evidence=True),
            "reports": [
                {
                    "id": r.id,
                    "category": r.category,
                    "text": r.text,
                    "source": r.source,
                    "trusted": r.flagger is not None,
                    "flagger": r.flagger,
                    "at": r.at,
                    "contact": r.contact is not None,
                    "status": r.status,
                }
                for r in reports
            ],
            "decisions": [decision_public(d) for d in decisions if d.case_id == found.id],
            "history": [
                {
                    "id": c.id,
                    "category": c.category,
                    "status": c.status,
                    "created_at": c.created_at,
                    "summary": _summary(c),
                    "decisions": by_case.get(c.id, []),
                }
                for c in others
            ],
            "subject": subjects.get(found.subject_id) if found.subject_id else None,
            "actions": moderation.actions_for(found),
        }

    @router.post("/mod/cases/{case_id}/actions", tags=["moderation"])
    async def act(case_id: str, body: ActionIn, mod: Mod) -> dict[str, Any]:
        decision, after = await moderation.act(case_id, mod, ActionRequest(**body.model_dump()))
        subjects = await subjects_of([after.subject_id])
        return {"decision": decision_public(decision), "case": case_public(after, subjects)}

    @router.get("/mod/appeals", tags=["moderation"])
    async def open_appeals(mod: Mod) -> list[dict[str, Any]]:
        found = await store.decisions.open_appeals()
        out = []
        for a in found:
            d = await store.decisions.get(a.decision_id)
            if d is None:
                continue
            out.append(
                {
                    "id": a.id,
                    "text": a.text,
                    "at": a.at,
                    "status": a.status,
                    "decision": decision_public(d),
                    "case": d.case_id,
                    "own": d.moderator_id == mod.id,
                }
            )
        return out

    @router.post("/mod/appeals/{appeal_id}", tags=["moderation"])
    async def decide(appeal_id: str, body: AppealDecisionIn, mod: Mod) -> dict[str, Any]:
        appeal, decision = await moderation.decide_appeal(appeal_id, mod, body.outcome, body.reply)
        return {
            "appeal": {
                "id": appeal.id,
                "status": appeal.status,
                "reply": appeal.reply,
                "decided_at": appeal.decided_at,
                "decided_by": appeal.decided_by,
            },
            "decision": decision_public(decision),
        }

    @router.post("/mod/cases/{case_id}/export", tags=["moderation"])
    async def export(case_id: str, mod: Mod) -> dict[str, Any]:
        require(mod, "legal", "admin")
        if await store.cases.get(case_id) is None:
            raise ApiError("not_found", "Dossier introuvable.")
        if moderation.exporter is None:
            raise ApiError("unavailable", "Export indisponible.")
        path, digest = await moderation.exporter(case_id)
        await moderation.audit.record(
            f"moderator:{mod.id}",
            "legal.export",
            f"case:{case_id}",
            {"path": path, "manifest_sha256": digest},
        )
        return {"path": path, "manifest_sha256": digest}

    @router.get("/mod/audit", tags=["moderation"])
    async def audit(mod: Mod, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
        require(mod, "legal", "admin")
        rows = await store.audit.latest(limit)
        return [
            {"seq": seq, "at": at, "actor": actor, "action": action, "target": target, "details": details}
            for seq, at, actor, action, target, details, _prev, _hash in rows
        ]

    return router


__all__ = ["DEVICE_COOKIE", "ApiError", "ModerationError", "moderation_router"]
