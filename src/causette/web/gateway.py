"""The WebSocket gateway on picows (DESIGN.md, "Transport": ~6 µs of CPU per delivered frame,
against 19 µs through an ASGI WebSocket).

The upgrade is decided synchronously from the request: the path, the Origin, and the token
(signature, expiry and the in-memory revocation list); anything wrong is an HTTP 401/403 before
the handshake completes (RFC 6455, 4.2.2). The session itself is loaded once the socket is open.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from picows import (
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)

from causette.chat.hub import Connection
from causette.chat.service import ChatService
from causette.protocol.errors import CloseCode
from causette.protocol.frames import SUBPROTOCOL
from causette.settings import Settings

log = logging.getLogger(__name__)

WS_PATH = "/ws"
_SOCKET_LOG = logging.LoggerAdapter(logging.getLogger("causette.ws"), {})


def text_frame(payload: bytes) -> bytes:
    """A whole unmasked server-to-client text frame (RFC 6455, 5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class _Framing:
    """The frame of the payload being fanned out: a room message reaches every member's sink in
    one loop, so one entry suffices. It holds the payload, so its identity cannot be reused."""

    __slots__ = ("frame", "payload")

    def __init__(self) -> None:
        self.payload = b""
        self.frame = text_frame(b"")

    def of(self, payload: bytes) -> bytes:
        if payload is not self.payload:
            self.payload, self.frame = payload, text_frame(payload)
        return self.frame


# After a flush of at least FLUSH_BATCH_SOCKETS sockets, the next waits FLUSH_INTERVAL_S from it
# (see _Flusher).
FLUSH_INTERVAL_S = 0.02
FLUSH_BATCH_SOCKETS = 64


class _Flusher:
    """Frames queued on any socket leave together, one write (one system call) per socket: at
    the end of the loop turn; or, when the last flush was a fan-out (FLUSH_BATCH_SOCKETS sockets
    or more) less than FLUSH_INTERVAL_S ago, that long after it. A busy room's members then get
    the messages of the last few milliseconds in one write instead of a system call per message,
    which is most of the cost of a delivery (docs/performance.md); answers to one socket (acks,
    pongs, small rooms) still leave in the same turn."""

    __slots__ = ("dirty", "fanout", "last", "scheduled")

    def __init__(self) -> None:
        self.dirty: list[PicowsSink] = []
        self.scheduled = False
        self.last = 0.0
        self.fanout = False  # the last flush wrote to FLUSH_BATCH_SOCKETS sockets or more

    def add(self, sink: PicowsSink) -> None:
        self.dirty.append(sink)
        if not self.scheduled:
            self.scheduled = True
            loop = asyncio.get_running_loop()
            wait = self.last + FLUSH_INTERVAL_S - loop.time() if self.fanout else 0.0
            if wait > 0:
                loop.call_later(wait, self.flush)
            else:
                loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        self.last = asyncio.get_running_loop().time()
        dirty, self.dirty = self.dirty, []
        self.fanout = len(dirty) >= FLUSH_BATCH_SOCKETS
        for sink in dirty:
            sink.flush()


_FRAMING = _Framing()

# Socket set-ups started per turn of the event loop (see _Admission).
SETUPS_PER_TURN = 8


class _Admission:
    """Socket set-ups (load the session, welcome, resume: a millisecond or two of CPU each) start
    at most SETUPS_PER_TURN per turn of the event loop. A reconnect storm otherwise puts thousands
    of them in the loop's ready queue at once: every turn then lasted seconds, and the live
    messages of everyone else, which take a few turns from frame to fan-out, waited that long.
    Measured on the storm of 5,000 (docs/performance.md): without this, everyone is back in ~4.3 s
    but those who stayed see p99 2.6–3.2 s; with it, ~5.5 s and p99 ~0.35 s.
    The sockets waiting here are open; their frames wait in order until their set-up (ChatSocket)."""

    __slots__ = ("_spawn", "scheduled", "waiting")

    def __init__(self, spawn: Any) -> None:
        self._spawn = spawn
        self.waiting: deque[Any] = deque()
        self.scheduled = False

    def add(self, setup: Any) -> None:
        self.waiting.append(setup)
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self._start_some)

    def _start_some(self) -> None:
        waiting = self.waiting
        for _ in range(min(SETUPS_PER_TURN, len(waiting))):
            self._spawn(waiting.popleft())
        if waiting:
            asyncio.get_running_loop().call_soon(self._start_some)
        else:
            self.scheduled = False

    def close(self) -> None:
        while self.waiting:
            self.waiting.popleft().close()


class PicowsSink:
    __slots__ = ("_backlog", "_flusher", "_pending", "_pending_bytes", "_raw", "_transport")

    def __init__(self, transport: WSTransport, flusher: _Flusher) -> None:
        self._transport = transport
        self._flusher = flusher
        self._raw = transport.underlying_transport
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._backlog = 0  # what the kernel had not taken at the last write

    def send(self, payload: bytes) -> None:
        frame = _FRAMING.of(payload)
        pending = self._pending
        pending.append(frame)
        self._pending_bytes += len(frame)
        if len(pending) == 1:
            self._flusher.add(self)

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        self._pending_bytes = 0
        transport = self._transport
        if transport.is_close_frame_sent or transport.is_disconnected:
            return
        # Whole frames written beside picows' own (pings, pongs, close): frames never interleave.
        self._raw.write(data)
        self._backlog = int(self._raw.get_write_buffer_size())

    def close(self, code: int, reason: str) -> None:
        slow = code == CloseCode.TRY_AGAIN_LATER
        if slow:
            # A socket closed for being slow holds a large backlog: drop it rather than flush it.
            self._pending.clear()
            self._pending_bytes = 0
        else:
            self.flush()
        # Built by hand: picows' WSCloseCode enum has no member for the private 4000 range.
        self._transport.send(WSMsgType.CLOSE, struct.pack("!H", code) + reason.encode()[:120])
        self._transport.disconnect(graceful=not slow)

    def buffered(self) -> int:
        return self._backlog + self._pending_bytes


class ChatSocket(WSListener):
    def __init__(self, gateway: Gateway, user_id: str) -> None:
        self._gateway = gateway
        self._user_id = user_id
        self._conn: Connection | None = None
        self._early: list[bytes] = []
        self._fragments: bytearray | None = None
        self._closed = False
        self._sink: PicowsSink | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        # The upgrade's headers were read in listener_factory: kept, they cost ~2.5 KB a socket.
        transport.request.headers.clear()
        transport.response.headers.clear()
        self._sink = PicowsSink(transport, self._gateway.flusher)
        self._gateway.admission.add(self._attach(transport))

    async def _attach(self, transport: WSTransport) -> None:
        service = self._gateway.service
        assert self._sink is not None
        if self._closed:  # gone while waiting for its turn
            return
        try:
            user = await service.load_user(self._user_id)
        except Exception:
            log.warning("could not load session %s", self._user_id, exc_info=True)
            user = None
        if self._closed:
            return
        if user is None:
            self._sink.close(CloseCode.SESSION_ENDED, "session ended")
            return
        conn = await service.connect(self._sink, user)
        if self._closed:
            service.disconnect(conn)
            return
        self._conn = conn
        early, self._early = self._early, []
        for raw in early:
            service.on_frame(conn, raw)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            if frame.fin:
                self._deliver(frame.get_payload_as_bytes())
            else:
                self._fragments = bytearray(frame.get_payload_as_memoryview())
            return
        if kind is WSMsgType.CONTINUATION:
            if self._fragments is None:
                return
            self._fragments += frame.get_payload_as_memoryview()
            if len(self._fragments) > self._gateway.settings.max_frame_bytes:
                self._fragments = None
                sink = self._sink or PicowsSink(transport, self._gateway.flusher)
                sink.close(CloseCode.MESSAGE_TOO_BIG, "message too big")
                return
            if frame.fin:
                data, self._fragments = bytes(self._fragments), None
                self._deliver(data)
            return
        if kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def _deliver(self, raw: bytes) -> None:
        if self._conn is not None:
            self._gateway.service.on_frame(self._conn, raw)
        elif len(self._early) < 100:
            self._early.append(raw)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._closed = True
        if self._conn is not None:
            self._gateway.service.disconnect(self._conn)
            self._conn = None


class Gateway:
    def __init__(self, service: ChatService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.flusher = _Flusher()
        self.admission = _Admission(self.spawn)

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _refuse(self, status: int, code: str, message: str) -> WSUpgradeResponseWithListener:
        body = orjson.dumps({"error": {"code": code, "message": message}})
        response = WSUpgradeResponse.create_error_response(status, body)
        response.headers["Content-Type"] = "application/json"
        return WSUpgradeResponseWithListener(response, None)

    def _origin_allowed(self, origin: str | None, host: str | None) -> bool:
        if not origin:
            return True  # not a browser: the token is what protects the socket
        if origin in self.settings.allowed_origins:
            return True
        origin_host = urlsplit(origin).hostname or ""
        request_host = (host or "").rsplit(":", 1)[0].strip("[]")
        return origin_host == request_host

    def listener_factory(self, request: WSUpgradeRequest) -> Any:
        target = urlsplit(request.path.decode("latin-1"))
        if target.path != WS_PATH:
            return None
        headers = request.headers
        if not self._origin_allowed(headers.get("Origin"), headers.get("Host")):
            return self._refuse(403, "origin_refused", "origin not allowed")
        token = ""
        auth = headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        if not token:
            token = parse_qs(target.query).get("token", [""])[0]
        user_id = self.service.check_token(token)
        if user_id is None:
            return self._refuse(401, "unauthorized", "missing, forged, expired or revoked token")
        offered = [p.strip() for p in headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        extra = {"Sec-WebSocket-Protocol": SUBPROTOCOL} if SUBPROTOCOL in offered else None
        return WSUpgradeResponseWithListener(
            WSUpgradeResponse.create_101_response(extra_headers=extra), ChatSocket(self, user_id)
        )

    async def start(self, *, reuse_port: bool = False) -> None:
        """Listen; `reuse_port` (SO_REUSEPORT) when workers share the port (web/workers.py)."""
        s = self.settings
        self._server = await ws_create_server(
            self.listener_factory,
            s.host,
            s.effective_ws_port,
            max_frame_size=s.max_frame_bytes,
            # picows' default read buffer is 16 KiB a socket, allocated at connect; it grows (to
            # max_frame_size at most) only for a socket that receives a larger frame.
            read_buffer_init_size=2048,
            # uvloop's own transport instead of aiofastnet's: 5 KB less per socket (its buffers
            # and iovec are allocated even idle), no measurable change in CPU per delivery
            # (docs/performance.md).
            use_aiofastnet=False,
            websocket_handshake_timeout=10,
            # One logger for every socket: given a Logger, picows makes a child Logger per socket
            # (~1 KB each, idle or not); given an adapter, it uses it as it is.
            logger_name=_SOCKET_LOG,
            enable_auto_ping=True,
            auto_ping_idle_timeout=30,
            auto_ping_reply_timeout=30,
            backlog=s.listen_backlog,
            reuse_address=True,
            reuse_port=reuse_port,
        )
        log.info("WebSocket gateway on ws://%s:%d%s", s.host, s.effective_ws_port, WS_PATH)

    async def stop(self) -> None:
        self.admission.close()
        if self._server is not None:
            self._server.close()
