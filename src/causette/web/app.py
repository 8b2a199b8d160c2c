"""The HTTP application: REST API (docs/protocol.md, "REST") and the static chat client."""

from __future__ import annotations

import os
import secrets
import socket
from importlib import resources
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from causette.chat.service import ChatError, ChatService
from causette.domain.departements import REGIONS
from causette.domain.errors import DomainError
from causette.domain.models import User
from causette.moderation.accounts import Accounts
from causette.moderation.catalog import categories
from causette.moderation.decisions import Moderation, ModerationError
from causette.moderation.notices import Notices
from causette.settings import Settings
from causette.store import StoreError
from causette.web.moderation_api import DEVICE_COOKIE, ApiError, bearer_token, moderation_router

STATIC = resources.files("causette.web").joinpath("static")

# HTTP status of each refusal; any other code is a 400.
STATUS = {
    "unauthorized": 401,
    "rate_limited": 429,
    "pseudonym_taken": 409,
    "underage": 403,
    "not_found": 404,
    "not_member": 403,
    "blocked": 403,
    "room_full": 409,
    "too_many_rooms": 409,
    "unavailable": 503,
    "banned": 403,
    "timed_out": 403,
    "forbidden": 403,
    "login_failed": 401,
    "locked": 423,
    "same_moderator": 409,
    "appeal_exists": 409,
    "appeal_decided": 409,
    "appeal_closed": 403,
}
# A device cookie lives this long (seconds): what a ban by device and the statements of reasons
# shown on the entry page rely on.
DEVICE_COOKIE_SECONDS = 400 * 86400

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def error_response(code: str, message: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, **(extra or {})}
    return JSONResponse({"error": body}, status_code=STATUS.get(code, 400))


_SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
        }
    }
}
# POST /api/v1/sessions in the OpenAPI schema (the route is a plain Starlette one).
ENTRY_OPENAPI: dict[str, Any] = {
    "summary": "Enter: create an anonymous session",
    "operationId": "enter",
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["pseudonym", "age", "gender", "postal_code"],
                    "properties": {
                        "pseudonym": {"type": "string"},
                        "age": {"type": "integer"},
                        "gender": {"type": "string", "enum": ["f", "m", "x"]},
                        "postal_code": {"type": "string"},
                    },
                }
            }
        },
    },
    "responses": {
        "201": {
            "description": "The session: a bearer token for the API and the WebSocket, and its user.",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "token": {"type": "string"},
                            "user": {"type": "object"},
                            "expires_at": {"type": "integer"},
                        },
                    }
                }
            },
        },
        "400": {"description": "Invalid field (`pseudonym_invalid`, `age_invalid`, ...)", **_ERROR},
        "403": {"description": "`underage` or `banned`", **_ERROR},
        "409": {"description": "`pseudonym_taken`", **_ERROR},
        "429": {"description": "`rate_limited`", **_ERROR},
        "503": {"description": "`unavailable`: the database is out of reach", **_ERROR},
    },
}


class SecurityHeaders:
    """Security headers on every HTTP answer, and the process that answered (`X-Causette-Node`,
    for `causette serve --workers N`; docs/operations.md). Pure ASGI: Starlette's
    BaseHTTPMiddleware runs each request in a task group of its own, a third of an entry's cost."""

    def __init__(self, app: ASGIApp, node: str) -> None:
        self.app = app
        self.headers = [*_SECURITY_HEADERS, (b"x-causette-node", node.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Static files revalidate (ETag) on each load, so that an upgrade never runs with stale modules.
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.raw.extend(self.headers)
                if static:
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RoomIn(BaseModel):
    name: str = Field(max_length=200)
    topic: str = Field(default="", max_length=400)


class InviteIn(BaseModel):
    user: str = Field(min_length=1, max_length=64)


async def current_user(request: Request) -> User:
    """The session of the bearer token, or a 401."""
    token = bearer_token(request)
    service: ChatService = request.app.state.service
    user = await service.authenticate(token) if token else None
    if user is None:
        raise ApiError("unauthorized", "Session absente, expirée ou terminée.")
    return user


Auth = Annotated[User, Depends(current_user)]


def create_app(
    service: ChatService,
    settings: Settings,
    moderation: Moderation | None = None,
    accounts: Accounts | None = None,
    notices: Notices | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Causette",
        version="1",
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
    )
    app.state.service = service
    app.state.node = f"{socket.gethostname()}:{os.getpid()}"
    app.add_middleware(SecurityHeaders, node=app.state.node)

    @app.exception_handler(ApiError)
    async def _api_error(_r: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.code, exc.message, exc.extra)

    @app.exception_handler(ChatError)
    async def _chat_error(_r: Request, exc: ChatError) -> JSONResponse:
        return error_response(exc.code, exc.message, exc.extra)

    @app.exception_handler(ModerationError)
    async def _moderation_error(_r: Request, exc: ModerationError) -> JSONResponse:
        return error_response(exc.code, exc.message)

    @app.exception_handler(DomainError)
    async def _domain_error(_r: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc.code, exc.message)

    @app.exception_handler(StoreError)
    async def _store_error(_r: Request, _exc: StoreError) -> JSONResponse:
        return error_response("unavailable", "Service momentanément indisponible, réessayez.")

    @app.exception_handler(RequestValidationError)
    async def _validation(_r: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response("bad_request", f"Requête invalide : {where} {first.get('msg', '')}".strip())

    @app.get("/api/v1/config")
    async def config(request: Request) -> dict[str, Any]:
        if settings.public_ws_url:
            ws_url = settings.public_ws_url
        else:
            host = request.url.hostname or settings.host
            if ":" in host:
                host = f"[{host}]"
            scheme = "wss" if request.url.scheme == "https" else "ws"
            ws_url = f"{scheme}://{host}:{settings.effective_ws_port}/ws"
        return {
            "ws_url": ws_url,
            "subprotocol": "causette.v1",
            "min_age": settings.min_age,
            "max_message_chars": settings.max_message_chars,
            "history_size": settings.history_size,
            "max_open_requests": settings.max_open_requests,
            "regions": REGIONS,
            "report_categories": list(categories()),
        }

    async def enter(request: Request) -> Response:
        """POST /api/v1/sessions. A plain Starlette route, not a FastAPI one: the busiest endpoint
        (a Saturday night's arrivals) skips FastAPI's per-request handler (docs/performance.md, entry)."""
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise ApiError("bad_request", "Le corps de la requête doit être du JSON.") from None
        if not isinstance(body, dict):
            raise ApiError("bad_request", "Le corps de la requête doit être un objet JSON.")
        address = request.client.host if request.client else "unknown"
        device = request.cookies.get(DEVICE_COOKIE, "")
        if not (16 <= len(device) <= 64 and device.replace("-", "").replace("_", "").isalnum()):
            device = secrets.token_urlsafe(24)
        token, user, expires = await service.enter(body, address, device)
        response = Response(
            orjson.dumps({"token": token, "user": user.public(), "expires_at": expires}),
            status_code=201,
            media_type="application/json",
        )
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.scope["scheme"] == "https",
        )
        return response

    app.router.add_route("/api/v1/sessions", enter, methods=["POST"])
    fastapi_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # FastAPI documents its own routes only
            fastapi_openapi()["paths"]["/api/v1/sessions"] = {"post": ENTRY_OPENAPI}
        return fastapi_openapi()

    app.openapi = openapi  # type: ignore[method-assign]

    @app.delete("/api/v1/sessions/current", status_code=204)
    async def leave(user: Auth) -> Response:
        await service.end_session(user)
        return Response(status_code=204)

    @app.get("/api/v1/me")
    async def me(user: Auth) -> dict[str, Any]:
        return user.public()

    @app.get("/api/v1/rooms")
    async def rooms(user: Auth) -> list[dict[str, Any]]:
        return await service.rooms_for(user)

    @app.post("/api/v1/rooms", status_code=201)
    async def create_room(user: Auth, body: RoomIn) -> dict[str, Any]:
        return await service.create_private_room(user, body.name, body.topic)

    @app.post("/api/v1/rooms/{room_id}/invites", status_code=201)
    async def invite(user: Auth, room_id: str, body: InviteIn) -> dict[str, Any]:
        await service.invite(user, room_id, body.user)
        return {"room": room_id, "user": body.user}

    @app.get("/api/v1/users")
    async def users(
        user: Auth,
        age_min: Annotated[int | None, Query(ge=0, le=150)] = None,
        age_max: Annotated[int | None, Query(ge=0, le=150)] = None,
        gender: Annotated[str | None, Query(pattern="^[fmx]$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> list[dict[str, Any]]:
        return await service.online_users(user, age_min, age_max, gender, region)

    @app.get("/api/v1/history/{conv}")
    async def history(
        user: Auth,
        conv: str,
        before: Annotated[int | None, Query(ge=1)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> list[dict[str, Any]]:
        return await service.history(user, conv, before, limit)

    app.state.settings = settings
    app.state.accounts = accounts
    if moderation is not None and accounts is not None and notices is not None:
        app.include_router(moderation_router(service, settings, moderation, accounts, notices))

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("index.html")), headers={"Cache-Control": "no-cache"})

    @app.get("/mod/", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("mod", "index.html")), headers={"Cache-Control": "no-cache"})

    @app.get("/mod", include_in_schema=False)
    async def console_slash() -> RedirectResponse:
        return RedirectResponse("/mod/")

    @app.get("/securite", include_in_schema=False)
    async def safety_centre() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("securite.html")), headers={"Cache-Control": "no-cache"})

    @app.get("/report", include_in_schema=False)
    async def report_form() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("report.html")), headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app
