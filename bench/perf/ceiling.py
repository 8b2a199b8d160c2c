"""The ceiling: a picows WebSocket fan-out server with no logic, the fastest Python can go here.

It speaks the subset of Causette's protocol the load generator uses, so the same client adapter
(causette_adapter.py) drives both at the same client cost:
- connect to `ws://HOST:PORT/ws?nick=NICK` (no token, no subprotocol check);
- `hello` → `resumed`; `ping` → `pong`; `join{room}` → `joined{conv}`;
- `say{conv, text}` → `msg{conv, seq, from, text, at}` encoded and framed once and queued on every
  socket of the conversation, the sender included (as Causette does); no ack, no storage, no
  safety check. What a socket got during one turn of the event loop leaves in one write (one
  system call), as Causette's gateway does: without it, the ceiling would pay a system call per
  delivery where Causette pays one per socket and turn, and be no ceiling under load;
- `pm_request{to, text}` → `pm_request{request}` to `to`; `pm_answer{request, accept}` →
  `pm_open{conv, with}` to both, who are then the two members of `conv`.

    python -m bench.perf.ceiling --port 9000 [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server

BACKLOG = 4096


def ws_frame(payload: bytes) -> bytes:
    """A server-to-client text frame (FIN, unmasked) around `payload`."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + payload


class Hub:
    def __init__(self) -> None:
        self.convs: dict[str, dict[Member, None]] = {}  # insertion-ordered sets
        self.seqs: dict[str, int] = {}
        self.by_nick: dict[str, Member] = {}
        self.requests: dict[str, tuple[Member, Member]] = {}
        self.ids = itertools.count(1)
        self.dirty: list[Member] = []
        self.scheduled = False

    def flush(self) -> None:
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for m in dirty:
            pending = m.pending
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            t = m.transport
            if t is not None and not t.is_disconnected:
                t.underlying_transport.write(data)


class Member(WSListener):
    def __init__(self, hub: Hub, nick: str) -> None:
        self.hub = hub
        self.nick = nick
        self.author = {"id": nick, "pseudonym": nick, "gender": "x"}
        self.transport: WSTransport | None = None
        self.convs: list[str] = []
        self.pending: list[bytes] = []  # framed, waiting for the end of the loop turn

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.hub.by_nick[self.nick] = self

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        hub = self.hub
        if hub.by_nick.get(self.nick) is self:
            del hub.by_nick[self.nick]
        for conv in self.convs:
            members = hub.convs.get(conv)
            if members is not None:
                members.pop(self, None)

    def send(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.send(WSMsgType.TEXT, data)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if frame.msg_type is not WSMsgType.TEXT:
            return
        try:
            data: dict[str, Any] = orjson.loads(frame.get_payload_as_bytes())
            kind = data["t"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        hub = self.hub
        if kind == "say":
            conv = data["conv"]
            members = hub.convs.get(conv)
            if not members:
                return
            seq = hub.seqs[conv] = hub.seqs.get(conv, 0) + 1
            payload = orjson.dumps(
                {
                    "t": "msg",
                    "conv": conv,
                    "seq": seq,
                    "from": self.author,
                    "text": data["text"],
                    "at": int(time.time() * 1000),
                }
            )
            framed = ws_frame(payload)
            dirty = hub.dirty
            for m in members:
                pending = m.pending
                pending.append(framed)
                if len(pending) == 1:
                    dirty.append(m)
            if not hub.scheduled:
                hub.scheduled = True
                asyncio.get_running_loop().call_soon(hub.flush)
        elif kind == "hello":
            self.send(b'{"t":"resumed","heads":{}}')
        elif kind == "ping":
            self.send(b'{"t":"pong"}')
        elif kind == "join":
            room = data["room"]
            self._enter(room)
            self.send(orjson.dumps({"t": "joined", "conv": room, "history": []}))
        elif kind == "pm_request":
            other = hub.by_nick.get(data["to"])
            if other is None:
                return
            request = f"q{next(hub.ids)}"
            hub.requests[request] = (self, other)
            other.send(orjson.dumps({"t": "pm_request", "request": request, "from": self.author}))
        elif kind == "pm_answer":
            pair = hub.requests.pop(data["request"], None)
            if pair is None or not data.get("accept"):
                return
            conv = f"pm-{next(hub.ids)}"
            a, b = pair
            for me, other in ((a, b), (b, a)):
                me._enter(conv)
                me.send(orjson.dumps({"t": "pm_open", "conv": conv, "with": other.author}))

    def _enter(self, conv: str) -> None:
        members = self.hub.convs.setdefault(conv, {})
        if self not in members:
            members[self] = None
            self.convs.append(conv)


async def serve(host: str, port: int) -> None:
    hub = Hub()

    def factory(request: WSUpgradeRequest) -> Member | None:
        target = urlsplit(request.path.decode("latin-1"))
        nick = parse_qs(target.query).get("nick", [""])[0]
        return Member(hub, nick) if nick else None

    server = await ws_create_server(factory, host, port, backlog=BACKLOG, reuse_address=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    uvloop.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
