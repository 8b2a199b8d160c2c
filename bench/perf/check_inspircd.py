"""Self-check of the InspIRCd peer and its IRC adapter.

    .venv/bin/python -m bench.perf.check_inspircd [--members 200] [--idle 5000]

Installs InspIRCd if needed, starts it on a free port pinned to core 0 (this process moves to
the other cores), then:

1. fan-out: MEMBERS picows clients register and join #check; 5 of them send 20 messages each;
   every member must receive every message except its own (IRC does not echo), i.e.
   senders × messages × (members - 1) deliveries. Prints deliveries/s, InspIRCd CPU seconds
   and RSS.
2. idle: IDLE more clients open and register as fast as they can; prints the connect rate
   and the server's RSS per connection, which also proves the connection limits hold.

Exits 0 when every check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import sys
import time

import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.perf.inspircd import InspIRCd, ensure_installed
from bench.perf.irc import IrcAdapter, nick_for

ADAPTER = IrcAdapter()
ROOM = "check"


class Client(WSListener):
    """A minimal IRC-over-WebSocket client driven by the adapter."""

    def __init__(self, nick: str, stats: Stats) -> None:
        loop = asyncio.get_running_loop()
        self.nick = nick
        self.stats = stats
        self.transport: WSTransport | None = None
        self.ready: asyncio.Future[None] = loop.create_future()
        self.joined: asyncio.Future[None] = loop.create_future()
        self.received: set[str] = set()
        self.joining = False
        self.closed = False
        self.pong: asyncio.Future[float] | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        for line in ADAPTER.greeting(self.nick):
            transport.send(WSMsgType.TEXT, line)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        data = frame.get_payload_as_bytes()
        text = ADAPTER.message_text(data)
        if text is not None:
            self.received.add(text)
            self.stats.delivered += 1
            self.stats.last = time.perf_counter()
            return
        if not self.ready.done():
            if ADAPTER.ready(data):
                self.ready.set_result(None)
            elif (error := ADAPTER.failed(data)) is not None:
                self.ready.set_exception(RuntimeError(f"{self.nick}: {error}"))
            return
        if not self.joined.done() and ADAPTER.joined(data, ROOM):
            self.joined.set_result(None)
            return
        if self.pong is not None and not self.pong.done() and ADAPTER.is_pong(data):
            self.pong.set_result(time.perf_counter())
            return
        answer = ADAPTER.reply(data)
        if answer is not None:
            transport.send(WSMsgType.TEXT, answer)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        self.stats.disconnects += 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"{self.nick}: disconnected"))
        if self.joining and not self.joined.done():
            self.joined.set_exception(ConnectionError(f"{self.nick}: disconnected"))

    async def ping(self) -> float:
        """IRC PING → PONG round trip in seconds (a PONG is queued behind any backlog)."""
        self.pong = asyncio.get_running_loop().create_future()
        t = time.perf_counter()
        self.send(ADAPTER.ping())
        return await self.pong - t

    def send(self, line: bytes) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, line)


class Stats:
    def __init__(self) -> None:
        self.delivered = 0
        self.disconnects = 0
        self.last = 0.0


async def connect(url: str, nick: str, stats: Stats) -> Client:
    _, client = await ws_connect(lambda: Client(nick, stats), url, extra_headers=ADAPTER.headers)
    assert isinstance(client, Client)
    await asyncio.wait_for(client.ready, 60)
    return client


async def connect_many(url: str, nicks: list[str], stats: Stats, concurrency: int) -> list[Client]:
    gate = asyncio.Semaphore(concurrency)

    async def one(nick: str) -> Client:
        async with gate:
            return await connect(url, nick, stats)

    return list(await asyncio.gather(*(one(n) for n in nicks)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def fanout(ircd: InspIRCd, members: int, senders: int, messages: int) -> bool:
    stats = Stats()
    t0 = time.perf_counter()
    clients = await connect_many(ircd.ws_url, [nick_for(i) for i in range(members)], stats, 100)
    for c in clients:
        c.joining = True
        for line in ADAPTER.join(ROOM):
            c.send(line)
    await asyncio.wait_for(asyncio.gather(*(c.joined for c in clients)), 60)
    print(f"fan-out: {members} members registered and joined #{ROOM} in {time.perf_counter() - t0:.2f}s")
    # Settle: the server still holds the JOIN broadcasts in the members' send queues; a PONG is
    # queued behind them, so once every client has its PONG the backlog is drained.
    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(c.ping() for c in clients)), 60)
    print(f"fan-out: JOIN backlog drained in {time.perf_counter() - t0:.2f}s")

    expected = senders * messages * (members - (0 if ADAPTER.echoes else 1))
    cpu0, start = ircd.cpu_seconds(), time.perf_counter()
    for n in range(messages):  # interleaved bursts, as fast as the loop writes
        for s in range(senders):
            clients[s].send(ADAPTER.say(ROOM, f"m {s} {n}", n))
        await asyncio.sleep(0)
    deadline = time.monotonic() + 30
    while stats.delivered < expected and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    elapsed = (stats.last or time.perf_counter()) - start
    cpu = ircd.cpu_seconds() - cpu0

    sent = {f"m {s} {n}" for s in range(senders) for n in range(messages)}
    missing = 0
    for i, c in enumerate(clients):
        own = {f"m {i} {n}" for n in range(messages)} if i < senders and not ADAPTER.echoes else set()
        missing += len((sent - own) - c.received)
    ok = stats.delivered == expected and missing == 0 and stats.disconnects == 0
    print(
        f"fan-out: {senders}×{messages} messages → {stats.delivered}/{expected} deliveries, "
        f"{missing} missing, {stats.disconnects} disconnects  [{'OK' if ok else 'FAIL'}]"
    )
    print(
        f"fan-out: {stats.delivered / elapsed:,.0f} deliveries/s over {elapsed * 1000:.0f} ms; "
        f"InspIRCd CPU {cpu:.3f}s ({cpu / max(stats.delivered, 1) * 1e6:.2f} µs/delivery), "
        f"RSS {ircd.rss_kb() / 1024:.1f} MB"
    )

    # Round trip of an IRC PING through the server.
    rtt = await asyncio.wait_for(clients[-1].ping(), 5)
    print(f"ping: IRC PING/PONG round trip {rtt * 1000:.2f} ms")

    for c in clients:
        assert c.transport is not None
        c.transport.disconnect()
    await asyncio.sleep(0.5)
    return ok


async def idle(ircd: InspIRCd, count: int, offset: int) -> bool:
    stats = Stats()
    await asyncio.sleep(0.5)
    rss0 = ircd.rss_kb()
    cpu0, t0 = ircd.cpu_seconds(), time.perf_counter()
    clients = await connect_many(ircd.ws_url, [nick_for(offset + i) for i in range(count)], stats, 2500)
    elapsed = time.perf_counter() - t0
    cpu = ircd.cpu_seconds() - cpu0
    await asyncio.sleep(1.0)
    rss1 = ircd.rss_kb()
    alive = sum(not c.closed for c in clients)
    ok = alive == count
    print(
        f"idle: {alive}/{count} registered connections in {elapsed:.2f}s ({count / elapsed:,.0f}/s), "
        f"InspIRCd CPU {cpu:.2f}s ({cpu / count * 1e6:.0f} µs/connection)  [{'OK' if ok else 'FAIL'}]"
    )
    print(
        f"idle: RSS {rss0 / 1024:.1f} → {rss1 / 1024:.1f} MB, {(rss1 - rss0) / count:.1f} KB per connection"
    )
    for c in clients:
        if c.transport is not None:
            c.transport.disconnect()
    await asyncio.sleep(0.5)
    return ok


async def main(args: argparse.Namespace) -> int:
    print(ensure_installed())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cores = os.sched_getaffinity(0)
    if len(cores) > 1:  # keep core 0 for the server
        os.sched_setaffinity(0, cores - {0})
    with InspIRCd(keep_dir=args.keep).start(free_port(), cpu=0) as ircd:
        print(
            f"InspIRCd pid {ircd.pid} on core 0, {ircd.ws_url}, file limit {ircd.open_files_limit()}, "
            f"config {ircd.config_path}"
        )
        ok = await fanout(ircd, args.members, args.senders, args.messages)
        ok = await idle(ircd, args.idle, args.members) and ok
        if ircd.proc is None or ircd.proc.poll() is not None:
            print("InspIRCd died")
            ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the config/log directory")
    sys.exit(uvloop.run(main(parser.parse_args())))
