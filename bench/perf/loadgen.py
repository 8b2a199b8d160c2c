"""The load generator of the performance suite (issue 7): picows clients, open-loop senders.

One process, one event loop (uvloop), pinned to the generator's core (core 1). Every client is a
`Peer` (the logical chatter: its adapter, its group, what it has seen) with one picows socket at a
time (`Conn`); a reconnect gives the peer a new socket and keeps what it has seen.

Messages. A sender route (a peer and where it writes: a room or one person) gets a sender id,
unique for the whole process, at the start of each measurement window, and numbers its messages
0, 1, 2, ... The text is `"<sender id>x<seq>x<send time, monotonic ns> <a French chat line>"`
(70-100 bytes; the numbers glued into one word so that the safety engine never reads a hate code
such as "14 88" in them), so every receiver knows, without any table, who sent what and when:
- latency = receive time - send time (same process, same monotonic clock);
- per (receiver, sender) the last seq seen and the seqs skipped so far give exactly the
  duplicates (a seq seen twice), the reorders (a skipped seq arriving later) and, at the end, the
  loss (expected deliveries - unique deliveries).
Messages of an earlier window (sender id below the window's first) are counted as `late` and
otherwise ignored, so one server and one set of sockets serve many windows.

Open loop. Senders write at their schedule whatever the answers: fixed rate with the phases of the
senders staggered evenly over one interval (in-phase senders make bursts that inflate latency),
or one Poisson process for all routes. The send time written in the text is the moment the frame
is handed to the socket; how late that is behind the schedule is recorded as `sender_lag`.

The receive path is the generator's cost per delivery: one `bytes.startswith`, two `bytes.find`,
two `str.split`, three `int()` and two dict operations (see `Conn.on_ws_frame`); no JSON parse.
Its own CPU (/proc/self/stat) is measured over each window: a result counts as server-limited
only while the generator stays under 80 % of its core.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

CLK_TCK = os.sysconf("SC_CLK_TCK")
_TEXT = WSMsgType.TEXT
_now = time.monotonic_ns
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SERVER_CPU = 0
GENERATOR_CPU = 1
# A result is server-limited only while the generator is below this share of its core.
GENERATOR_LIMIT = 0.80
# Other processes used at least this share of a core during a window: its figures are suspect.
CONTENDED = 0.25
# Frames larger than this are never chat messages of the benchmark (history, presence lists,
# NAMES): only their first bytes are copied out and shown to the adapter.
BIG_FRAME = 2048
BIG_PREFIX = 512

# Benign French chat lines (the safety engine allows every one; see tests/bench): the messages
# look like real traffic to the safety engine, not like padding.
PHRASES = (
    "salut tout le monde, quelqu'un a vu le match hier soir ?",
    "je cherche une bonne série à regarder ce week-end",
    "il fait super beau ici aujourd'hui, enfin le soleil",
    "vous faites quoi pour les vacances cet été ?",
    "je viens de finir mon service, grosse journée",
    "quelqu'un connaît un bon resto pas trop cher ?",
    "le concert de samedi était vraiment génial",
    "bonne soirée à tous, à demain sur le chat",
    "j'ai commencé la course à pied, c'est dur au début",
    "vous lisez quoi en ce moment ? je cherche un roman",
    "mon chat a encore renversé le pot de fleurs",
    "ça vous dit une partie en ligne ce soir ?",
)


# --- what a client is and how it talks ------------------------------------------------------------
@dataclass(slots=True)
class ClientSpec:
    """Where one client connects and who it is: made by the target (servers.py)."""

    url: str
    nick: str
    # Who private messages are addressed to: Causette's user id; the nick for IRC.
    user_id: str = ""
    # Extra handshake headers (the subprotocol is added from the adapter).
    headers: dict[str, str] = field(default_factory=dict)


class Adapter(Protocol):
    """One chat protocol as the generator sees it: bytes in, bytes out, no socket.

    Required members are below; optional ones, looked up with getattr:
    `headers: dict[str, str]` (extra handshake headers), `failed(frame) -> str | None` (a fatal or
    error answer), `open_private(nick) -> list[bytes]` and `private_ready(nick) -> bool` (a
    private conversation that must be set up before its first message), `supports_resume: bool`
    and `track_heads: bool` (reconnect with resume).
    """

    name: str
    subprotocol: str | None
    echoes: bool  # does the sender receive its own room message (Causette yes, IRC no)

    def greeting(self, nick: str) -> list[bytes]: ...
    def ready(self, frame: bytes) -> bool: ...
    def join(self, room: str) -> list[bytes]: ...
    def joined(self, frame: bytes, room: str) -> bool: ...
    def say(self, room: str, text: str, n: int) -> bytes: ...
    def private(self, nick: str, text: str, n: int) -> bytes: ...
    def message_text(self, frame: bytes) -> str | None: ...  # FAST: called per delivery
    def reply(self, frame: bytes) -> bytes | None: ...
    def ping(self) -> bytes: ...
    def is_pong(self, frame: bytes) -> bool: ...


# --- the process ---------------------------------------------------------------------------------
def prepare_process(cpu: int | None = GENERATOR_CPU) -> dict[str, Any]:
    """Pin this process to `cpu` (when the machine has it) and raise RLIMIT_NOFILE to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pinned = None
    if cpu is not None and cpu in os.sched_getaffinity(0) | set(range(os.cpu_count() or 1)):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {cpu})
            pinned = cpu
    return {"generator_cpu": pinned, "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process (all its threads), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kb(pid: int | str = "self") -> int:
    """Resident set size in KiB (/proc/PID/statm), 0 when the process is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def machine_cpu() -> tuple[float, float, float]:
    """(busy in processes, softirq, steal) CPU seconds of the whole machine so far, all cores,
    from /proc/stat. Softirq (the loopback TCP stack, largely our own traffic) is kept apart."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    steal = fields[7] if len(fields) > 7 else 0
    return (user + nice + system + irq) / CLK_TCK, softirq / CLK_TCK, steal / CLK_TCK


def bench_text(sid: int, n: int, now_ns: int) -> str:
    """`<sender id>x<seq>x<send time> <chat line>`: the numbers are glued into one word, so the
    safety engine never reads them as numbers ("14 88" and "1488" are hate codes; a sender id
    and a seq once made one, and the message was refused)."""
    return f"{sid}x{n}x{now_ns} {PHRASES[n % len(PHRASES)]}"


def percentile_ms(values: Sequence[int] | Any, q: float) -> float | None:
    """The q-quantile (0..1) of nanosecond values, in ms (nearest rank); None when empty."""
    n = len(values)
    if n == 0:
        return None
    try:
        import numpy as np

        arr = np.frombuffer(values, dtype=np.int64) if isinstance(values, array) else np.asarray(values)
        k = min(n - 1, int(q * n))
        return round(float(np.partition(arr, k)[k]) / 1e6, 3)
    except ImportError:  # pragma: no cover - numpy comes with the test extra
        ordered = sorted(values)
        return round(float(ordered[min(n - 1, int(q * n))]) / 1e6, 3)


# --- measurement windows -------------------------------------------------------------------------
class Window:
    """What the receivers saw of the messages sent in one measured window."""

    def __init__(self, base: int) -> None:
        self.base = base  # first sender id of the window; lower ids are late arrivals
        self.lat: dict[str, array[int]] = {}
        self.dups = 0
        self.reorders = 0
        self.late = 0
        self.foreign = 0  # message texts that are not the benchmark's (e.g. a private request's)
        self.errors = 0
        self.error_samples: list[str] = []
        self.sent = 0
        self.unsent = 0  # the route's socket was closed at its time to send
        self.expected = 0
        self.send_lag: array[int] = array("q")

    def lat_for(self, group: str) -> array[int]:
        got = self.lat.get(group)
        if got is None:
            got = self.lat[group] = array("q")
        return got

    def unique(self) -> int:
        return sum(len(a) for a in self.lat.values())

    def note_error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:200])


VOID = Window(1 << 62)  # outside any window: everything is "late"


class Peer:
    """One chatter: a spec, an adapter (its own instance), a group, and what it has seen."""

    def __init__(self, index: int, spec: ClientSpec, adapter: Adapter, group: str = "all") -> None:
        self.index = index
        self.spec = spec
        self.adapter = adapter
        self.group = group
        self.transport: WSTransport | None = None
        self.connected = False
        self.win = VOID
        self.lat: array[int] = VOID.lat_for(group)
        self.last: dict[int, int] = {}
        self.missing: dict[int, set[int]] = {}
        self.waiter: tuple[Callable[[bytes], bool], asyncio.Future[None]] | None = None
        self.failed: Callable[[bytes], str | None] | None = getattr(adapter, "failed", None)
        self.message_text = adapter.message_text  # bound once: the hot path calls it per delivery
        self.closed: asyncio.Future[None] | None = None

    def watch(self, win: Window) -> None:
        self.win = win
        self.lat = win.lat_for(self.group)
        self.last = {}
        self.missing = {}

    def send(self, data: bytes) -> bool:
        t = self.transport
        if t is None or not self.connected:
            return False
        t.send(WSMsgType.TEXT, data)
        return True

    def other(self, data: bytes) -> None:
        """A frame that is not a chat message: keep-alives, answers awaited, errors."""
        adapter = self.adapter
        answer = adapter.reply(data)
        if answer is not None and self.transport is not None:
            self.transport.send(WSMsgType.TEXT, answer)
        w = self.waiter
        if w is not None and not w[1].done() and w[0](data):
            self.waiter = None
            w[1].set_result(None)
            return
        if self.failed is not None:
            why = self.failed(data)
            if why is not None:
                if w is not None and not w[1].done():
                    self.waiter = None
                    w[1].set_exception(RuntimeError(f"{self.spec.nick}: {why}"))
                else:
                    self.win.note_error(why)

    async def expect(self, frames: list[bytes], predicate: Callable[[bytes], bool], wait_s: float) -> None:
        """Send `frames` and wait for a frame matching `predicate`."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiter = (predicate, fut)
        for data in frames:
            if not self.send(data):
                raise ConnectionError(f"{self.spec.nick}: not connected")
        try:
            await asyncio.wait_for(fut, wait_s)
        finally:
            if self.waiter is not None and self.waiter[1] is fut:
                self.waiter = None


class Conn(WSListener):
    """One socket of a peer. `on_ws_frame` is the generator's hot path."""

    def __init__(self, peer: Peer) -> None:
        self.p = peer

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.p.transport = transport
        self.p.connected = True

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        p = self.p
        if p.transport is transport:
            p.connected = False
            if p.closed is not None and not p.closed.done():
                p.closed.set_result(None)
            w = p.waiter
            if w is not None and not w[1].done():
                p.waiter = None
                w[1].set_exception(ConnectionError(f"{p.spec.nick}: disconnected"))

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        p = self.p
        if frame.msg_type is not _TEXT:
            if frame.msg_type is WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            return
        if frame.payload_size > BIG_FRAME:
            p.other(bytes(frame.get_payload_as_memoryview()[:BIG_PREFIX]))
            return
        data = frame.get_payload_as_bytes()
        text = p.message_text(data)
        if text is None:
            p.other(data)
            return
        now = _now()
        parts = text.split(" ", 1)[0].split("x")
        try:
            sid = int(parts[0])
            seq = int(parts[1])
            sent = int(parts[2])
        except (ValueError, IndexError):
            p.win.foreign += 1
            return
        win = p.win
        if sid < win.base:
            win.late += 1
            return
        last = p.last.get(sid, -1)
        if seq == last + 1:
            p.last[sid] = seq
        elif seq > last:
            gaps = p.missing.get(sid)
            if gaps is None:
                gaps = p.missing[sid] = set()
            gaps.update(range(last + 1, seq))
            p.last[sid] = seq
        else:
            gaps = p.missing.get(sid)
            if gaps is not None and seq in gaps:
                gaps.discard(seq)
                win.reorders += 1
            else:
                win.dups += 1
                return
        p.lat.append(now - sent)


# --- connecting ----------------------------------------------------------------------------------
@dataclass(slots=True)
class ConnectReport:
    ok: int = 0
    failed: int = 0
    retries: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connected": self.ok,
            "failed": self.failed,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "per_s": round(self.ok / self.seconds, 1) if self.seconds > 0 else None,
            "errors": self.errors[:5],
        }


async def open_peer(peer: Peer, wait_s: float = 30.0) -> None:
    """Open a socket for `peer`, send its greeting and wait until the server says it is ready."""
    adapter = peer.adapter
    headers = dict(getattr(adapter, "headers", None) or {})
    headers.update(peer.spec.headers)
    if adapter.subprotocol:
        headers["Sec-WebSocket-Protocol"] = adapter.subprotocol
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()
    peer.waiter = (adapter.ready, fut)
    peer.closed = loop.create_future()
    try:
        transport, _ = await ws_connect(
            lambda: Conn(peer),
            peer.spec.url,
            extra_headers=headers or None,
            websocket_handshake_timeout=wait_s,
            read_buffer_init_size=4096,
        )
        for data in adapter.greeting(peer.spec.nick):
            transport.send(WSMsgType.TEXT, data)
        await asyncio.wait_for(fut, wait_s)
    except BaseException:
        if peer.waiter is not None and peer.waiter[1] is fut:
            peer.waiter = None
        drop(peer)
        raise


def drop(peer: Peer, abort: bool = False) -> None:
    """Close the peer's socket: `abort` resets the TCP connection (a network drop), otherwise a
    plain close without a closing handshake."""
    t = peer.transport
    if t is None:
        return
    # Forget the socket first: its late `on_ws_disconnected` must not touch a reconnect's state.
    peer.transport = None
    peer.connected = False
    if abort:
        with contextlib.suppress(Exception):
            t.underlying_transport.abort()
    else:
        with contextlib.suppress(Exception):
            t.disconnect(graceful=False)


async def open_peers(
    peers: Sequence[Peer],
    concurrency: int = 200,
    wait_s: float = 30.0,
    attempts: int = 3,
    on_open: Callable[[Peer], None] | None = None,
) -> ConnectReport:
    """Open every peer, at most `concurrency` handshakes in flight, retrying a failed one."""
    report = ConnectReport()
    sem = asyncio.Semaphore(concurrency)
    t0 = time.perf_counter()

    async def one(peer: Peer) -> None:
        async with sem:
            for attempt in range(attempts):
                try:
                    await open_peer(peer, wait_s)
                    report.ok += 1
                    if on_open is not None:
                        on_open(peer)
                    return
                except Exception as exc:
                    if attempt + 1 < attempts:
                        report.retries += 1
                        await asyncio.sleep(0.2 * (attempt + 1))
                    else:
                        report.failed += 1
                        report.errors.append(f"{peer.spec.nick}: {type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(one(p) for p in peers))
    report.seconds = time.perf_counter() - t0
    return report


async def join_peers(
    pairs: Sequence[tuple[Peer, str]], concurrency: int = 200, wait_s: float = 60.0
) -> tuple[int, list[str]]:
    """Join each peer to its room; returns (failures, sample errors)."""
    sem = asyncio.Semaphore(concurrency)
    failures: list[str] = []

    async def one(peer: Peer, room: str) -> None:
        async with sem:
            adapter = peer.adapter
            try:
                await peer.expect(adapter.join(room), lambda d: adapter.joined(d, room), wait_s)
            except Exception as exc:
                failures.append(f"{peer.spec.nick} {room}: {type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(one(p, r) for p, r in pairs))
    return len(failures), failures[:5]


async def open_privates(pairs: Sequence[tuple[Peer, Peer]], wait_s: float = 60.0) -> tuple[int, list[str]]:
    """Set up the private conversation of each pair (a → b) when the protocol needs one."""
    failures: list[str] = []
    sem = asyncio.Semaphore(100)

    async def one(a: Peer, b: Peer) -> None:
        opener = getattr(a.adapter, "open_private", None)
        ready = getattr(a.adapter, "private_ready", None)
        if opener is None or ready is None:
            return
        async with sem:
            nick = b.spec.nick
            try:
                for data in opener(nick, b.spec.user_id):
                    a.send(data)
                deadline = time.monotonic() + wait_s
                peer_ready = getattr(b.adapter, "private_ready", None)
                while not (ready(nick) and (peer_ready is None or peer_ready(a.spec.nick))):
                    if time.monotonic() > deadline:
                        raise TimeoutError("private conversation not opened")
                    await asyncio.sleep(0.02)
            except Exception as exc:
                failures.append(f"{a.spec.nick}->{nick}: {type(exc).__name__}: {exc}"[:200])

    await asyncio.gather(*(one(a, b) for a, b in pairs))
    return len(failures), failures[:5]


async def ping_rtt(peers: Sequence[Peer], wait_s: float = 10.0) -> dict[str, Any]:
    """One application-level ping per peer, one after another: round trips in ms."""
    rtts: list[int] = []
    lost = 0
    for peer in peers:
        t0 = time.monotonic_ns()
        try:
            await peer.expect([peer.adapter.ping()], peer.adapter.is_pong, wait_s)
        except Exception:
            lost += 1
            continue
        rtts.append(time.monotonic_ns() - t0)
    return {
        "pings": len(peers),
        "lost": lost,
        "p50_ms": percentile_ms(rtts, 0.5),
        "p99_ms": percentile_ms(rtts, 0.99),
        "max_ms": round(max(rtts) / 1e6, 3) if rtts else None,
    }


# --- sending -------------------------------------------------------------------------------------
_next_sid = 0


def new_sender_id() -> int:
    global _next_sid
    _next_sid += 1
    return _next_sid


@dataclass(slots=True)
class Route:
    """Where one sender writes: a room (`room`) or one person (`nick`), and how many sockets
    should receive each of its messages."""

    peer: Peer
    recipients: int
    room: str | None = None
    nick: str | None = None
    weight: float = 1.0
    sid: int = 0
    n: int = 0


def _send(route: Route, win: Window) -> None:
    n = route.n
    route.n = n + 1
    peer = route.peer
    text = bench_text(route.sid, n, time.monotonic_ns())
    if route.room is not None:
        data = peer.adapter.say(route.room, text, n)
    else:
        assert route.nick is not None
        data = peer.adapter.private(route.nick, text, n)
    if peer.send(data):
        win.sent += 1
        win.expected += route.recipients
    else:
        win.unsent += 1


async def send_fixed(routes: Sequence[Route], rate: float, duration: float, win: Window) -> None:
    """Each route sends `rate` messages/s for `duration` s, phases staggered over one interval."""
    loop = asyncio.get_running_loop()
    interval = 1.0 / rate
    start = loop.time() + 0.01
    end = start + duration
    for r in routes:
        r.sid, r.n = new_sender_id(), 0

    async def one(i: int, route: Route) -> None:
        t0 = start + interval * i / len(routes)
        k = 0
        while True:
            due = t0 + k * interval
            if due >= end:
                return
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                win.send_lag.append(int(-delay * 1e9))
                if k % 50 == 49:
                    await asyncio.sleep(0)  # far behind: let the receivers run
            _send(route, win)
            k += 1

    await asyncio.gather(*(one(i, r) for i, r in enumerate(routes)))


async def send_poisson(
    routes: Sequence[Route], total_rate: float, duration: float, win: Window, seed: int = 7
) -> None:
    """One Poisson process of `total_rate` messages/s over all routes, chosen by weight."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    for r in routes:
        r.sid, r.n = new_sender_id(), 0
    cum: list[float] = []
    acc = 0.0
    for r in routes:
        acc += r.weight
        cum.append(acc)
    start = loop.time() + 0.01
    end = start + duration
    due = start
    behind = 0
    while True:
        due += rng.expovariate(total_rate)
        if due >= end:
            return
        delay = due - loop.time()
        if delay > 0.0005:
            await asyncio.sleep(delay)
            behind = 0
        elif delay < 0:
            win.send_lag.append(int(-delay * 1e9))
            behind += 1
            if behind % 50 == 0:
                await asyncio.sleep(0)
        route = rng.choices(routes, cum_weights=cum)[0]
        _send(route, win)


async def drain(win: Window, idle: float = 1.5, limit: float = 30.0) -> float:
    """Wait until every expected delivery arrived, or nothing came for `idle` s, or `limit` s
    passed. Returns the seconds waited."""
    t0 = time.monotonic()
    last_count, last_change = -1, t0
    while True:
        now = time.monotonic()
        count = win.unique()
        if count >= win.expected:
            return now - t0
        if count != last_count:
            last_count, last_change = count, now
        elif now - last_change > idle or now - t0 > limit:
            return now - t0
        await asyncio.sleep(0.02)


def summarise(win: Window, groups: Sequence[str] | None = None) -> dict[str, Any]:
    """Latency percentiles (ms), deliveries, loss, duplicates and reorders of a window."""
    names = list(groups) if groups is not None else list(win.lat)
    merged: array[int] = array("q")
    for g in names:
        merged.extend(win.lat.get(g, array("q")))
    unique = win.unique()
    out: dict[str, Any] = {
        "messages_sent": win.sent,
        "expected_deliveries": win.expected,
        "delivered": unique,
        "delivered_ratio": round(unique / win.expected, 6) if win.expected else None,
        "lost": max(0, win.expected - unique),
        "duplicates": win.dups,
        "reordered": win.reorders,
        "late_from_earlier_windows": win.late,
        "errors": win.errors,
        "p50_ms": percentile_ms(merged, 0.5),
        "p99_ms": percentile_ms(merged, 0.99),
        "p999_ms": percentile_ms(merged, 0.999),
        "max_ms": round(max(merged) / 1e6, 3) if merged else None,
        "sender_lag_p99_ms": percentile_ms(win.send_lag, 0.99) if len(win.send_lag) else 0.0,
    }
    if win.unsent:
        out["unsent"] = win.unsent
    if win.error_samples:
        out["error_samples"] = win.error_samples
    return out


def group_latency(win: Window) -> dict[str, dict[str, Any]]:
    """Deliveries and latency percentiles (ms) of each group of receivers."""
    return {
        group: {
            "delivered": len(lat),
            "p50_ms": percentile_ms(lat, 0.5),
            "p99_ms": percentile_ms(lat, 0.99),
            "p999_ms": percentile_ms(lat, 0.999),
            "max_ms": round(max(lat) / 1e6, 3) if lat else None,
        }
        for group, lat in sorted(win.lat.items())
    }


class Meter:
    """CPU of the server(s) and of the generator over a window."""

    def __init__(self, server_pids: Sequence[int]) -> None:
        self.pids = list(server_pids)
        self.t0 = time.monotonic()
        self.gen0 = cpu_seconds()
        self.srv0 = self._server()
        self.box0 = machine_cpu()
        self.t_send = self.t0
        self.gen_send = self.gen0
        self.srv_send = self.srv0
        self.box_send = self.box0

    def _server(self) -> float:
        total = 0.0
        for pid in self.pids:
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def sent(self) -> None:
        """Mark the end of the sending phase (steady load)."""
        self.t_send = time.monotonic()
        self.gen_send = cpu_seconds()
        self.srv_send = self._server()
        self.box_send = machine_cpu()

    def done(self, delivered: int) -> dict[str, Any]:
        t = time.monotonic()
        srv = self._server()
        gen = cpu_seconds()
        send_wall = max(1e-9, self.t_send - self.t0)
        gen_share = (self.gen_send - self.gen0) / send_wall
        srv_share = (self.srv_send - self.srv0) / send_wall
        # CPU the rest of the machine used meanwhile (other processes), in cores: on a shared
        # machine it competes with the server and the generator.
        busy = (self.box_send[0] - self.box0[0]) / send_wall
        other = max(0.0, busy - gen_share - srv_share)
        softirq = (self.box_send[1] - self.box0[1]) / send_wall
        steal = (self.box_send[2] - self.box0[2]) / send_wall
        return {
            "send_seconds": round(send_wall, 3),
            "drain_seconds": round(t - self.t_send, 3),
            "deliveries_per_s": round(delivered / send_wall, 1),
            "server_cpu_s": round(srv - self.srv0, 3),
            "server_cpu_share": round(srv_share, 3),
            "server_cpu_us_per_delivery": (
                round((srv - self.srv0) * 1e6 / delivered, 3) if delivered else None
            ),
            "generator_cpu_share": round(gen_share, 3),
            "generator_cpu_us_per_delivery": round((gen - self.gen0) * 1e6 / delivered, 3)
            if delivered
            else None,
            "generator_limited": gen_share >= GENERATOR_LIMIT,
            "other_cpu_share": round(other, 3),
            "softirq_share": round(softirq, 3),
            "steal_share": round(steal, 3),
            "contended": other + steal >= CONTENDED,
        }
