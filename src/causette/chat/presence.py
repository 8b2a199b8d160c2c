"""Who is here: changes batched into one `presence` frame per interval.

A join or leave is not sent at once to every socket: that would cost O(sockets) per event, and
O(sockets²) in a reconnect storm. Changes accumulate and are flushed every
`presence_interval_ms` as one frame, encoded once.
"""

from __future__ import annotations

import asyncio
import contextlib

from causette.bus.base import PRESENCE, Bus, Envelope
from causette.domain.models import User
from causette.protocol.frames import encode_dict


class Presence:
    def __init__(self, bus: Bus, interval_ms: int) -> None:
        self._bus = bus
        self._interval = interval_ms / 1000.0
        self._online: dict[str, User] = {}
        self._offline: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def came(self, user: User) -> None:
        self._offline.discard(user.id)
        self._online[user.id] = user

    def left(self, user_id: str) -> None:
        if self._online.pop(user_id, None) is None:
            self._offline.add(user_id)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="presence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def flush(self) -> None:
        if not self._online and not self._offline:
            return
        frame = {
            "t": "presence",
            "online": [u.public() for u in self._online.values()],
            "offline": sorted(self._offline),
        }
        self._online, self._offline = {}, set()
        self._bus.publish(Envelope(PRESENCE, encode_dict(frame)))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.flush()
