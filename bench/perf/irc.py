"""IRC protocol adapter for the load generator: InspIRCd 3 over its `websocket` module.

Same interface as the Causette adapter, so the scenarios can drive either server. Pure functions
on bytes; nothing here touches a socket.

Differences from Causette that the generator MUST account for
-------------------------------------------------------------
* **No echo.** IRC does not send a PRIVMSG back to its sender (`echoes = False`); Causette does.
  A room message therefore reaches `members - 1` sockets, not `members`: expected deliveries must
  be counted per adapter (`members - (0 if adapter.echoes else 1)` per message).
* **Origin header.** InspIRCd's websocket module refuses a handshake without an `Origin` header
  (HTTP 400); pass `adapter.headers` as picows' `extra_headers`.
* **Framing.** One WebSocket message = one IRC line, both ways. Messages *from* the server carry
  no `\\r\\n` (the module splits its output on `\\n` and drops `\\r`). Messages *to* the server
  need none: the module strips any CR/LF in a frame and appends `\\r\\n` itself — so two lines
  packed into one frame would be glued together: never batch lines in one frame. The functions
  below still tolerate a trailing `\\r\\n` on received frames.
* **Subprotocol.** None is required: the peer config sets `<websocket defaultmode="text">`.
  InspIRCd 3.15 understands `text.inspircd.org` / `binary.inspircd.org` (not `*.ircv3.net`).
* **Line length.** 512 bytes including the prefix the server adds (`:nick!~user@127.0.0.1
  PRIVMSG #room :`); keep texts under ~400 bytes or they are truncated.
* **WS control frames.** InspIRCd kills a client that sends WS ping/pong frames more than once
  per 10 s ("Ping/pong flood"): do not enable picows' auto-ping against it. Use `ping()` (an
  IRC PING line) to measure round trips instead.
* **Registration completes on a 1-second tick.** InspIRCd 3 finishes a registration (sends 001)
  in its once-per-second housekeeping pass, not when USER arrives: login latency is 0–1 s by
  design and the connect rate is bounded by the number of logins in flight per second. Keep
  thousands in flight for the idle ramp and the reconnect storm.
* **Joins are broadcast.** Every JOIN is sent to every member already in the channel (O(N²)
  frames to fill a room of N), and the joiner receives the whole NAMES list. The 366 reply
  comes long before the members have read that backlog: for a room of 5,000, 12.5 M JOIN
  lines, ~1 GB held in the server's send queues and ~60 s of draining on this machine — RSS
  and CPU figures taken after that are polluted. Either start the peer with
  `InspIRCd(quiet_joins=True)` (channel mode +u of the `auditorium` module: members see
  neither each other's joins nor the member list; message delivery is unchanged; 5,000 joins
  then take ~1 s and 22 MB), or settle before the clock starts: once every member has its 366,
  send `ping()` on every socket and wait for every PONG — it is queued behind the backlog.
"""

from __future__ import annotations

from typing import ClassVar, Final

_PRIVMSG: Final = b" PRIVMSG "
_SEP: Final = b" :"
_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def nick_for(n: int) -> str:
    """A short unique nick for client number `n`: `b` + base 36 (≤ 30 chars, InspIRCd's maxnick)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    digits = []
    while True:
        n, r = divmod(n, 36)
        digits.append(_DIGITS[r])
        if n == 0:
            break
    return "b" + "".join(reversed(digits))


def _strip(frame: bytes) -> bytes:
    """Drop a trailing CR/LF if the frame carries one (InspIRCd's frames do not)."""
    if frame[-1:] == b"\n":
        frame = frame[:-1]
        if frame[-1:] == b"\r":
            frame = frame[:-1]
    return frame


def _command(frame: bytes) -> tuple[bytes, int]:
    """The command or numeric of a line and the index just after it (b"" when malformed)."""
    start = 0
    if frame[:1] == b":":  # skip the prefix
        start = frame.find(b" ") + 1
        if start == 0:
            return b"", -1
    end = frame.find(b" ", start)
    if end < 0:
        return _strip(frame[start:]), len(frame)
    return frame[start:end], end + 1


class IrcAdapter:
    name = "inspircd"
    # No subprotocol needed (defaultmode="text"); `text.inspircd.org` would also work.
    subprotocol: str | None = None
    # IRC does not deliver a PRIVMSG back to its sender.
    echoes = False
    # Extra handshake headers: InspIRCd rejects a WebSocket upgrade without an Origin.
    headers: ClassVar[dict[str, str]] = {"Origin": "http://127.0.0.1"}
    # Longest text that fits in one 512-byte line with the prefix the server adds.
    max_text_bytes = 400

    def greeting(self, nick: str) -> list[bytes]:
        """Frames to send as soon as the socket opens: registration (NICK, USER)."""
        n = nick.encode()
        return [b"NICK " + n, b"USER " + n + b" 0 * :" + n]

    def ready(self, frame: bytes) -> bool:
        """Registration done: 001 RPL_WELCOME."""
        command, _ = _command(frame)
        return command == b"001"

    def failed(self, frame: bytes) -> str | None:
        """A fatal answer during login or join (ERROR, nick in use, too many channels…), else None."""
        command, _ = _command(frame)
        if command in (b"ERROR", b"433", b"432", b"405", b"471", b"473", b"474", b"475"):
            return _strip(frame).decode(errors="replace")
        return None

    def join(self, room: str) -> list[bytes]:
        return [b"JOIN #" + room.encode()]

    def joined(self, frame: bytes, room: str) -> bool:
        """366 RPL_ENDOFNAMES for `#room` (`:server 366 <nick> #room :End of /NAMES list.`)."""
        command, rest = _command(frame)
        if command != b"366":
            return False
        after_nick = frame.find(b" ", rest) + 1
        if after_nick == 0:
            return False
        channel = b"#" + room.encode()
        end = after_nick + len(channel)
        return frame[after_nick:end] == channel and frame[end : end + 1] in (b" ", b"", b"\r")

    def say(self, room: str, text: str, n: int) -> bytes:
        """A channel message. `n` (the sender's message number) has no IRC equivalent: unused."""
        return b"PRIVMSG #" + room.encode() + b" :" + text.encode()

    def private(self, nick: str, text: str, n: int) -> bytes:
        return b"PRIVMSG " + nick.encode() + b" :" + text.encode()

    def message_text(self, frame: bytes) -> str | None:
        """The text of a received PRIVMSG (channel or private), None for anything else.

        Hot path (one call per delivery): two `bytes.find`, no parsing. The prefix
        `:nick!~user@127.0.0.1` holds no space (hostnames are not resolved), so the first
        ` PRIVMSG ` is the command, and the first ` :` after it starts the trailing text.
        """
        i = frame.find(_PRIVMSG, 0, 128)
        if i < 0:
            return None
        j = frame.find(_SEP, i + 9)
        if j < 0:
            return None
        if frame[-1:] == b"\n":
            return _strip(frame[j + 2 :]).decode()
        return frame[j + 2 :].decode()

    def message_target(self, frame: bytes) -> str | None:
        """The target of a received PRIVMSG: `#room` for a channel, the recipient's nick otherwise."""
        i = frame.find(_PRIVMSG, 0, 128)
        if i < 0:
            return None
        j = frame.find(b" ", i + 9)
        return frame[i + 9 : j].decode() if j > 0 else None

    def reply(self, frame: bytes) -> bytes | None:
        """Answer to a server keep-alive: `PING :x` → `PONG :x`; None for anything else."""
        if frame[:5] == b"PING ":
            return b"PONG " + _strip(frame[5:])
        return None

    def ping(self) -> bytes:
        """A client PING for measuring a round trip; the server answers `:srv PONG srv :bench`."""
        return b"PING :bench"

    def is_pong(self, frame: bytes) -> bool:
        command, _ = _command(frame)
        return command == b"PONG"
