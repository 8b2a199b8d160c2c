"""The fan-out bus between nodes: what travels on it and the interface of a bus.

A node publishes an encoded frame once; every node (itself included) hands it to its hub,
which writes the same bytes to each local member socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

# Channels: a conversation id, "u:<user id>" for one session's sockets, or PRESENCE.
PRESENCE = "presence"


def user_channel(user_id: str) -> str:
    return "u:" + user_id


@dataclass(frozen=True, slots=True)
class Envelope:
    channel: str
    payload: bytes = b""
    # For conversation messages: the author (hidden from those who blocked them) and the seq
    # (used to order and de-duplicate against a resume).
    sender: str = ""
    seq: int = 0
    # Typing frames are not echoed to the author's own sockets.
    echo: bool = True
    # Session control on a user channel: "join", "leave", "block", "blocked_by", "unblock",
    # "unblocked_by", "timeout", "unrestrict", "close"; `arg` is the conversation or user it is
    # about, the end of a time-out (ms), or a close code. On PRESENCE: "revoke" and "unrevoke",
    # a session ended or restored on every node (`arg`: its user id).
    control: str = ""
    arg: str = ""


Handler = Callable[[Envelope], None]


class Bus(Protocol):
    def set_handler(self, handler: Handler) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def publish(self, envelope: Envelope) -> None: ...

    # A node receives only the channels it declared: the hub calls these when a conversation or a
    # session gains its first or loses its last socket on this node (reference-counted).
    def interest(self, channel: str) -> object: ...

    def disinterest(self, channel: str) -> None: ...

    def ready(self, channel: str) -> Awaitable[None]:
        """Completes once envelopes on `channel` reach this node."""
        ...
