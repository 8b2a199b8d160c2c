"""A WebSocket test client for the Causette protocol (docs/protocol.md) and HTTP entry helpers.

`ChatClient` reads every frame in a background task into an inbox. `expect()` returns (and removes)
the first frame that matches, whether it arrived before the call or during it; frames that do not
match stay in the inbox for later expectations. Waiting is always bounded by a timeout, so a test
never sleeps for a fixed time when it can wait for a frame instead.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

SUBPROTOCOL = "causette.v1"

Frame = dict[str, Any]
Matcher = str | Callable[[Frame], bool] | None

# Frames that `expect(None)` and `expect_none(None)` pass over: those the server sends unasked at
# any time (presence is batched every second, typing is ephemeral) and `resumed`, the answer to the
# hello that every connect() sends.
BACKGROUND_FRAMES = frozenset({"presence", "typing", "resumed"})

# Letters and digits only, no vowels, no b or j: random pseudonyms never spell a word a safety
# lexicon or a reserved-name list could catch (with b and j, 1 in 5,000 held "bbj").
_PSEUDONYM_ALPHABET = "cdfghkmnpqstvwxz23456789"


def unique_pseudonym(prefix: str = "u") -> str:
    """A valid pseudonym (3–20 characters) that no other test uses."""
    suffix = "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(8))
    return f"{prefix[:10]}{suffix}"


def unique_cid() -> str:
    return secrets.token_hex(8)


def _matcher(what: Matcher, fields: dict[str, Any]) -> Callable[[Frame], bool]:
    def match(frame: Frame) -> bool:
        if what is None:
            ok = frame.get("t") not in BACKGROUND_FRAMES
        elif isinstance(what, str):
            ok = frame.get("t") == what
        else:
            ok = bool(what(frame))
        return ok and all(frame.get(key) == value for key, value in fields.items())

    return match


def _describe(what: Matcher, fields: dict[str, Any]) -> str:
    name = what if isinstance(what, str) else getattr(what, "__name__", repr(what))
    return f"{name} {fields}" if fields else str(name)


class ChatClient:
    """One WebSocket connection to the gateway."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.welcome: Frame | None = None
        self.inbox: list[Frame] = []
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        self._closed = asyncio.Event()

    # -- connection -----------------------------------------------------------------------------
    async def connect(
        self,
        token: str | None,
        resume: dict[Any, int] | None = None,
        *,
        hello: bool = True,
        wait_welcome: bool = True,
        headers: dict[str, str] | None = None,
        origin: str | None = None,
    ) -> ChatClient:
        """Open the socket, send `hello{resume}` (unless `hello=False`) and wait for `welcome`.

        The welcome frame is kept in `self.welcome`, not in the inbox.
        """
        url = self.ws_url if token is None else f"{self.ws_url}?token={token}"
        self._ws = await connect(
            url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            compression=None,  # the gateway negotiates no extension; frame sizes stay what we send
            proxy=None,
            open_timeout=5,
            ping_interval=None,
            close_timeout=2,
            max_size=2**22,
        )
        self._reader = asyncio.create_task(self._read(), name=f"chat-client-reader {url[:60]}")
        if hello:
            await self.hello(resume)
        if wait_welcome:
            self.welcome = await self.expect("welcome")
        return self

    async def hello(self, resume: dict[Any, int] | None = None) -> None:
        await self.send(t="hello", resume={str(k): v for k, v in (resume or {}).items()})

    @property
    def subprotocol(self) -> str | None:
        assert self._ws is not None
        return self._ws.subprotocol

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code if self._ws is not None else None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 3)
            except (TimeoutError, asyncio.CancelledError):
                self._reader.cancel()

    async def wait_closed(self, timeout: float = 3.0) -> int | None:  # noqa: ASYNC109
        """Wait until the server closes the connection; return the close code it sent."""
        try:
            await asyncio.wait_for(self._closed.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"connection still open after {timeout} s; inbox: {self._inbox_summary()}"
            ) from None
        return self.close_code

    # -- frames -----------------------------------------------------------------------------------
    async def send(self, **frame: Any) -> None:
        await self.send_raw(json.dumps(frame))

    async def send_raw(self, data: str | bytes) -> None:
        assert self._ws is not None, "connect() first"
        await self._ws.send(data)

    async def expect(self, what: Matcher = None, timeout: float = 3.0, **fields: Any) -> Frame:  # noqa: ASYNC109
        """The first frame matching `what` (a type name or a predicate) and `fields` (equalities)."""
        match = _matcher(what, fields)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for i, frame in enumerate(self.inbox):
                if match(frame):
                    return self.inbox.pop(i)
            if self._closed.is_set():
                raise AssertionError(
                    f"connection closed (code {self.close_code}) while waiting for "
                    f"{_describe(what, fields)}; inbox: {self._inbox_summary()}"
                )
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(
                    f"no frame {_describe(what, fields)} within {timeout} s; inbox: {self._inbox_summary()}"
                )
            # No await between the scan above and clear(): a frame cannot slip in unseen.
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                pass

    async def expect_error(self, code: str, timeout: float = 3.0, **fields: Any) -> Frame:  # noqa: ASYNC109
        """The next error frame; it must carry `code`."""
        frame = await self.expect("error", timeout, **fields)
        assert frame.get("code") == code, f"expected error {code!r}, got {frame}"
        assert isinstance(frame.get("message"), str), f"error without message: {frame}"
        return frame

    async def expect_none(self, what: Matcher = None, timeout: float = 0.8, **fields: Any) -> None:  # noqa: ASYNC109
        """Fail if a matching frame is in the inbox or arrives within `timeout`.

        `what=None` means any frame except the background ones (presence, typing, resumed).
        """
        match = _matcher(what, fields)
        try:
            frame = await self.expect(match, timeout)
        except AssertionError:
            return
        raise AssertionError(f"unexpected frame {frame}")

    async def drain(self, settle: float = 0.3) -> list[Frame]:
        """Wait `settle` seconds for stragglers, then empty and return the inbox."""
        if settle > 0:
            await asyncio.sleep(settle)
        frames, self.inbox = self.inbox, []
        return frames

    async def roundtrip(self) -> None:
        """ping → pong: every frame sent before has been processed by the server."""
        await self.send(t="ping")
        await self.expect("pong")

    # -- internals ----------------------------------------------------------------------------------
    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    frame = {"t": "<not json>", "raw": raw}
                if not isinstance(frame, dict):
                    frame = {"t": "<not an object>", "raw": frame}
                self.inbox.append(frame)
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self._closed.set()
            self._arrived.set()

    def _inbox_summary(self) -> str:
        text = json.dumps(self.inbox[-12:], ensure_ascii=False, default=str)
        return text if len(text) < 1500 else text[:1500] + "…"


async def upgrade_status(
    ws_url: str,
    token: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    origin: str | None = None,
) -> int:
    """The HTTP status of a WebSocket upgrade: 101 when it succeeds, else the refusal's status."""
    url = ws_url if token is None else f"{ws_url}?token={token}"
    try:
        ws = await connect(
            url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            compression=None,
            proxy=None,
            open_timeout=5,
            ping_interval=None,
        )
    except InvalidStatus as exc:
        return int(exc.response.status_code)
    await ws.close()
    return 101


# -- HTTP -----------------------------------------------------------------------------------------
def _json_or_text(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text


async def enter(
    base_url: str,
    pseudonym: str | None = None,
    age: Any = 30,
    gender: Any = "f",
    postal_code: Any = "75011",
    *,
    client: httpx.AsyncClient | None = None,
) -> tuple[int, Any]:
    """POST /api/v1/sessions; returns (status, body). The pseudonym is unique unless given."""
    body = {
        "pseudonym": unique_pseudonym() if pseudonym is None else pseudonym,
        "age": age,
        "gender": gender,
        "postal_code": postal_code,
    }
    if client is None:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as own:
            resp = await own.post(f"{base_url}/api/v1/sessions", json=body)
    else:
        resp = await client.post(f"{base_url}/api/v1/sessions", json=body)
    return resp.status_code, _json_or_text(resp)


def error_code(body: Any) -> str | None:
    """The stable error code of a refusal body `{"error": {"code", "message"}}`, else None."""
    try:
        error = body["error"]
        return str(error["code"]) if isinstance(error.get("message"), str) else None
    except (KeyError, TypeError, AttributeError):
        return None
