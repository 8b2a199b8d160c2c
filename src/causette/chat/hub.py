"""The hub: this node's sockets, by conversation and by session, and delivery to them.

Delivery writes the bytes encoded once by the publisher to every member socket; no frame is
encoded per recipient. A socket whose unsent bytes pass `send_queue_bytes` is closed (1013)
rather than allowed to stall the room: it reconnects and resumes from its last seq.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from causette.bus.base import PRESENCE, Envelope, user_channel
from causette.chat.ratelimit import TokenBucket
from causette.domain.models import User
from causette.protocol.errors import CloseCode


class Sink(Protocol):
    """What the transport gives the chat layer for one socket."""

    def send(self, payload: bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...

    def buffered(self) -> int: ...


class ConnState(enum.Enum):
    """A socket is OPEN from its welcome; READY from its hello (live frames flow);
    CLOSED once the transport is gone. OPEN → READY → CLOSED, or OPEN → CLOSED."""

    OPEN = 1
    READY = 2
    CLOSED = 3


@dataclass(eq=False, slots=True)
class SessionState:
    """One session on this node: shared by all its sockets (membership is the session's)."""

    user: User
    convs: set[str]
    blocked: set[str]  # users this session blocked
    blocked_by: set[str]  # users who blocked this session
    # The other side of each private conversation, filled as conversations are used.
    peers: dict[str, User] = field(default_factory=dict)
    # Safety state: the person said they are a minor; restrictions such as "private_messages".
    apparent_minor: bool = False
    restrictions: set[str] = field(default_factory=set)
    # A moderator's time-out: no sending before this instant (ms since the epoch).
    timed_out_until: int = 0
    connections: set[Connection] = field(default_factory=set)


@dataclass(eq=False, slots=True)
class Connection:
    sink: Sink
    session: SessionState
    bucket: TokenBucket | None
    send_limit: int
    hold_limit: int
    state: ConnState = ConnState.OPEN
    # Frames that arrived before hello, or during a join for that conversation:
    # (conv, seq, payload); delivered after the resume / history, de-duplicated by seq.
    held: list[tuple[str, int, bytes]] = field(default_factory=list)
    joining: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    # Per conversation, the seq up to which this socket got the store's copy (its resume or its
    # join's history): a live frame at or below it is a duplicate (a node that publishes its
    # backlog late, after a Redis outage, while its clients already resumed).
    floor: dict[str, int] = field(default_factory=dict)
    # Made when first needed: an idle socket (most of them) costs two empty deques less.
    bad_frames: deque[float] | None = None
    inbox: deque[bytes] | None = None
    busy: bool = False

    @property
    def closed(self) -> bool:
        return self.state is ConnState.CLOSED

    @property
    def user(self) -> User:
        return self.session.user

    def send(self, payload: bytes) -> None:
        # Hub.deliver inlines this and push() for ready sockets: keep them in step.
        if self.state is ConnState.CLOSED:
            return
        self.sink.send(payload)
        if self.sink.buffered() > self.send_limit:
            self.close(CloseCode.TRY_AGAIN_LATER, "send queue full: reconnect and resume")

    def push(self, conv: str, seq: int, payload: bytes) -> None:
        """Deliver a conversation frame, or hold it until the resume or history is sent."""
        if self.state is ConnState.OPEN:
            self.held.append((conv, seq, payload))
            if len(self.held) > self.hold_limit:
                self.close(CloseCode.TRY_AGAIN_LATER, "too much traffic before hello")
            return
        pending = self.joining.get(conv)
        if pending is not None:
            pending.append((seq, payload))
            return
        if seq and self.floor and seq <= self.floor.get(conv, 0):
            return
        self.send(payload)

    def close(self, code: int, reason: str) -> None:
        if self.state is not ConnState.CLOSED:
            self.state = ConnState.CLOSED
            self.sink.close(code, reason)

    def note_bad_frame(self, per_minute: int) -> bool:
        """Record a bad frame; True when the connection passed the abuse threshold."""
        now = time.monotonic()
        if self.bad_frames is None:
            self.bad_frames = deque()
        bad = self.bad_frames
        bad.append(now)
        while bad and now - bad[0] > 60.0:
            bad.popleft()
        return len(bad) > per_minute


def _ignore(_channel: str) -> object:
    return None


class Hub:
    def __init__(
        self,
        interest: Callable[[str], object] = _ignore,
        disinterest: Callable[[str], object] = _ignore,
    ) -> None:
        self.by_conv: dict[str, set[Connection]] = {}
        self.sessions: dict[str, SessionState] = {}
        # Per conversation, the sessions with a socket on this node (kept as sockets come and go:
        # counting them on demand would cost O(members) per join, O(members²) for a room filling).
        self._present: dict[str, int] = {}
        # The bus delivers to this node only the channels it has sockets for (bus/redis.py).
        self._interest = interest
        self._disinterest = disinterest

    # --- membership of sockets -------------------------------------------------------------
    def attach(self, conn: Connection) -> None:
        session = conn.session
        uid = session.user.id
        if uid not in self.sessions:
            self._interest(user_channel(uid))
        self.sessions[uid] = session
        if not session.connections:
            for conv in session.convs:
                self._count(conv, 1)
        session.connections.add(conn)
        for conv in session.convs:
            members = self.by_conv.get(conv)
            if members is None:
                members = self.by_conv[conv] = set()
                self._interest(conv)
            members.add(conn)

    def detach(self, conn: Connection) -> bool:
        """Forget a socket; True if it was its session's last one on this node."""
        session = conn.session
        if conn in session.connections:
            session.connections.discard(conn)
            if not session.connections:
                for conv in session.convs:
                    self._count(conv, -1)
        for conv in session.convs:
            members = self.by_conv.get(conv)
            if members is not None:
                members.discard(conn)
                if not members:
                    del self.by_conv[conv]
                    self._disinterest(conv)
        if not session.connections:
            if self.sessions.pop(session.user.id, None) is not None:
                self._disinterest(user_channel(session.user.id))
            return True
        return False

    def subscribe(self, session: SessionState, conv: str) -> None:
        if conv not in session.convs:
            session.convs.add(conv)
            if session.connections:
                self._count(conv, 1)
        if not session.connections:
            return
        members = self.by_conv.get(conv)
        if members is None:
            members = self.by_conv[conv] = set()
            self._interest(conv)
        members.update(session.connections)

    def unsubscribe(self, session: SessionState, conv: str) -> None:
        if conv in session.convs:
            session.convs.discard(conv)
            if session.connections:
                self._count(conv, -1)
        members = self.by_conv.get(conv)
        if members is not None:
            members.difference_update(session.connections)
            if not members:
                del self.by_conv[conv]
                self._disinterest(conv)

    def online_members(self, conv: str) -> int:
        """Connected sessions of this node in a conversation."""
        return self._present.get(conv, 0)

    def present(self) -> dict[str, int]:
        """Connected sessions of this node per conversation."""
        return dict(self._present)

    def _count(self, conv: str, delta: int) -> None:
        n = self._present.get(conv, 0) + delta
        if n > 0:
            self._present[conv] = n
        else:
            self._present.pop(conv, None)

    def connections(self) -> Iterable[Connection]:
        for session in self.sessions.values():
            yield from session.connections

    # --- delivery ------------------------------------------------------------------------------
    def deliver(self, env: Envelope) -> None:
        if env.channel.startswith("u:"):
            self._deliver_user(env)
            return
        if env.channel == PRESENCE:
            self.broadcast(env.payload)
            return
        members = self.by_conv.get(env.channel)
        if not members:
            return
        sender, conv, seq, payload, echo = env.sender, env.channel, env.seq, env.payload, env.echo
        ready = ConnState.READY
        # A slow socket may be closed (and detached) during the loop: iterate over a copy.
        for conn in tuple(members):
            session = conn.session
            if sender in session.blocked:
                continue
            if not echo and session.user.id == sender:
                continue
            if not seq:
                if conn.state is ready:
                    conn.send(payload)
            elif conn.state is ready and not conn.joining:
                # Connection.push and Connection.send, inlined: this is the loop of every delivery.
                floor = conn.floor
                if floor and seq <= floor.get(conv, 0):
                    continue
                sink = conn.sink
                sink.send(payload)
                if sink.buffered() > conn.send_limit:
                    conn.close(CloseCode.TRY_AGAIN_LATER, "send queue full: reconnect and resume")
            else:
                conn.push(conv, seq, payload)

    def broadcast(self, payload: bytes) -> None:
        """To every ready socket of this node (presence)."""
        for conn in tuple(self.connections()):
            if conn.state is ConnState.READY:
                conn.send(payload)

    def _deliver_user(self, env: Envelope) -> None:
        session = self.sessions.get(env.channel[2:])
        if session is None:
            return
        control, arg = env.control, env.arg
        if control == "join":
            self.subscribe(session, arg)
        elif control == "leave":
            self.unsubscribe(session, arg)
        elif control == "block":
            session.blocked.add(arg)
        elif control == "unblock":
            session.blocked.discard(arg)
        elif control == "blocked_by":
            session.blocked_by.add(arg)
        elif control == "unblocked_by":
            session.blocked_by.discard(arg)
        elif control == "timeout":
            session.timed_out_until = int(arg)
        elif control == "unrestrict":
            session.restrictions.discard(arg)
        if env.payload:
            # Held like conversation frames until the socket's hello, so that they follow
            # its welcome and resume.
            for conn in tuple(session.connections):
                conn.push("", 0, env.payload)
        if control == "close":
            for conn in tuple(session.connections):
                conn.close(int(arg), "session ended")
