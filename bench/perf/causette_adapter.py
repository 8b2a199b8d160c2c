"""Causette's JSON protocol (docs/protocol.md) for the load generator; the ceiling server
(ceiling.py) speaks the same subset, so both are driven by this adapter at the same client cost.

One instance per client: it holds the client's message counter (each `say` needs a `cid` unique in
the session), its private conversations (peer nick → conv) and, for resume, the last seq seen per
conversation. The receive path (`message_text`) finds the text with bytes operations: the server
encodes `msg` frames with orjson in a fixed key order,
`{"t":"msg","conv":"…","seq":N,"from":{…},"text":"…","at":N}`, and neither pseudonyms nor the
benchmark's texts contain a quote, so the first `"text":"` is the key and the next quote ends it.
"""

from __future__ import annotations

import orjson

SUBPROTOCOL = "causette.v1"

_MSG = b'{"t":"msg"'
_TEXT = b'"text":"'
_SEQ_AT = 19  # len(b'{"t":"msg","conv":"'): the conv id starts here
_HELLO = b'{"t":"hello","resume":{}}'
_RESUMED = b'{"t":"resumed"'
_JOINED = b'{"t":"joined","conv":"'
_PM_REQUEST = b'{"t":"pm_request"'
_PM_OPEN = b'{"t":"pm_open"'
_ERROR = b'{"t":"error"'
_PONG = b'{"t":"pong"'


class CausetteAdapter:
    name = "causette"
    subprotocol: str | None = SUBPROTOCOL
    echoes = True  # the sender gets its own message back (it is a member of the conversation)
    supports_resume = True

    def __init__(self, nick: str = "", track_heads: bool = False) -> None:
        self.nick = nick
        self._cid = 0
        self.convs: dict[str, str] = {}  # peer nick -> private conversation id
        # Resume (reconnect storm): conv -> last seq seen, kept only when asked (it costs a
        # little on every delivery).
        self.track_heads = track_heads
        self.heads: dict[str, int] = {}

    # --- connection ---------------------------------------------------------------------------
    def greeting(self, nick: str) -> list[bytes]:
        if self.heads:
            return [orjson.dumps({"t": "hello", "resume": self.heads})]
        return [_HELLO]

    def ready(self, frame: bytes) -> bool:
        return frame.startswith(_RESUMED)

    def failed(self, frame: bytes) -> str | None:
        if frame.startswith(_ERROR):
            return frame[:200].decode(errors="replace")
        return None

    def join(self, room: str) -> list[bytes]:
        return [b'{"t":"join","room":"' + room.encode() + b'"}']

    def joined(self, frame: bytes, room: str) -> bool:
        return frame.startswith(_JOINED + room.encode() + b'"')

    # --- sending ------------------------------------------------------------------------------
    def say(self, room: str, text: str, n: int) -> bytes:
        self._cid += 1
        return orjson.dumps({"t": "say", "conv": room, "cid": str(self._cid), "text": text})

    def private(self, nick: str, text: str, n: int) -> bytes:
        return self.say(self.convs[nick], text, n)

    def open_private(self, nick: str, user_id: str) -> list[bytes]:
        """A private conversation starts with a request the other side accepts (see `reply`)."""
        self._cid += 1
        return [orjson.dumps({"t": "pm_request", "to": user_id, "text": "salut !", "cid": f"q{self._cid}"})]

    def private_ready(self, nick: str) -> bool:
        return nick in self.convs

    # --- receiving ----------------------------------------------------------------------------
    def message_text(self, frame: bytes) -> str | None:
        if not frame.startswith(_MSG):
            return None
        i = frame.find(_TEXT, 40)
        if i < 0:
            return None
        i += 8
        j = frame.find(b'"', i)
        if self.track_heads:
            k = frame.find(b'"', _SEQ_AT)
            end = frame.find(b",", k + 8)
            self.heads[frame[_SEQ_AT:k].decode()] = int(frame[k + 8 : end])
        return frame[i:j].decode()

    def reply(self, frame: bytes) -> bytes | None:
        """Accept every private request; remember each private conversation opened."""
        if frame.startswith(_PM_REQUEST):
            request = orjson.loads(frame)["request"]
            return orjson.dumps({"t": "pm_answer", "request": request, "accept": True})
        if frame.startswith(_PM_OPEN):
            data = orjson.loads(frame)
            self.convs[data["with"]["pseudonym"]] = data["conv"]
        return None

    def ping(self) -> bytes:
        return b'{"t":"ping"}'

    def is_pong(self, frame: bytes) -> bool:
        return frame.startswith(_PONG)
