"""A TCP proxy for fault tests: it forwards a local port to an upstream server (PostgreSQL) and can
cut the link on demand.

`cut()` resets every open connection (both sides get a TCP RST, as after a network failure or a
server restart) and resets each new one as soon as it is accepted, until `restore()`. The proxy
runs an asyncio loop in a background thread, so the test's own event loop is not involved and a
synchronous test may use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit, urlunsplit

CHUNK = 65536
CONNECT_TIMEOUT_S = 5.0


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a RST (SO_LINGER 0), not a FIN: the peer sees a broken connection at once."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    """`127.0.0.1:<port>` → `upstream_host:upstream_port`. Use as a context manager."""

    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = 0
        self.accepted = 0  # connections accepted while open (forwarded)
        self.refused = 0  # connections reset on arrival while cut
        self._open = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    @classmethod
    def for_url(cls, url: str) -> TcpProxy:
        """A proxy to the server of a URL such as `postgresql://user@host:5432/db`."""
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError(f"no TCP host in {url!r}: a proxy needs one")
        return cls(parts.hostname, parts.port or 5432)

    def route(self, url: str) -> str:
        """The same URL, through the proxy (host and port replaced, the rest kept)."""
        parts = urlsplit(url)
        userinfo, _, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}@" if userinfo else ""
        return urlunsplit(parts._replace(netloc=f"{netloc}{self.host}:{self.port}"))

    @property
    def is_cut(self) -> bool:
        return not self._open

    @property
    def connections(self) -> int:
        return len(self._pairs)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> TcpProxy:
        started: Future[None] = Future()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:
                started.set_exception(exc)
                loop.close()
                return
            started.set_result(None)
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown())
                loop.close()

        self._thread = threading.Thread(target=run, name="tcp-proxy", daemon=True)
        self._thread.start()
        started.result(timeout=10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults -----------------------------------------------------------------------------------
    def cut(self) -> int:
        """Reset every open connection and every new one until `restore()`; returns how many
        connections were open."""
        return int(self._call(self._cut()))

    def restore(self) -> None:
        """Forward new connections again."""
        self._open = True

    # -- internals ----------------------------------------------------------------------------------
    def _call(self, coro: Any) -> Any:
        assert self._loop is not None, "start() first"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, 0, backlog=256)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _cut(self) -> int:
        self._open = False
        pairs = list(self._pairs)
        for downstream, upstream in pairs:
            _reset(downstream)
            _reset(upstream)
        return len(pairs)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._cut()
        # Reset, every pipe ends by itself; cancel only what lingers.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=2)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            self.refused += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(self.upstream_host, self.upstream_port), CONNECT_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            _reset(writer)
            return
        if not self._open:  # cut while connecting
            _reset(up_writer)
            _reset(writer)
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._pairs.discard(pair)
            for w in pair:
                w.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # Half-close towards the other side (its end of the stream), unless it is gone.
            with contextlib.suppress(OSError, RuntimeError):
                if writer.can_write_eof() and not writer.is_closing():
                    writer.write_eof()
