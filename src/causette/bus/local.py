"""The in-process bus of the embedded deployment: publishing is a direct call to the hub."""

from __future__ import annotations

from causette.bus.base import Envelope, Handler


class LocalBus:
    def __init__(self) -> None:
        self._handler: Handler | None = None

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def publish(self, envelope: Envelope) -> None:
        if self._handler is not None:
            self._handler(envelope)

    # In one process every channel reaches the hub already.
    def interest(self, channel: str) -> None:
        return None

    def disinterest(self, channel: str) -> None:
        return None

    async def ready(self, channel: str) -> None:
        return None
