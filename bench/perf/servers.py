"""The servers under test, each pinned to the server core (core 0) with `taskset`, and how a
client reaches them (a `Target`): the load generator knows nothing of tokens or nicks.

- `CausetteTarget`: `causette serve` on a fresh data dir, as in production (SQLite with FULL
  fsync, the safety engine, presence) except `CAUSETTE_RATE_LIMITS=off` (the per-address entry
  limit and the per-connection frame rate); its room catalogue is the packaged one plus
  `bench-0` … `bench-N` (theme rooms). A client needs a session token first: `clients(n)` makes
  them over HTTP (`POST /api/v1/sessions`, keep-alive connections in parallel).
- `CeilingTarget`: `python -m bench.perf.ceiling`, the picows fan-out server with no logic.
- `InspircdTarget`: InspIRCd 3 (bench/perf/inspircd.py) through the IRC adapter (bench/perf/irc.py).

Every server listens with a backlog of 4096.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from bench.perf.causette_adapter import CausetteAdapter
from bench.perf.loadgen import SERVER_CPU, Adapter, ClientSpec, rss_kb

ROOT = Path(__file__).resolve().parents[2]
CAUSETTE_BIN = ROOT / ".venv" / "bin" / "causette"
if not CAUSETTE_BIN.exists():
    CAUSETTE_BIN = Path(sys.executable).with_name("causette")


def room_name(i: int) -> str:
    """The benchmark's rooms: `bench-<i>` (IRC: `#bench-<i>`)."""
    return f"bench-{i}"


def free_port_pair() -> int:
    """A port P such that P and P + 1 are both free (Causette: HTTP on P, WebSocket on P + 1).

    Picked below the ephemeral range (32768-60999 here), where the generator's thousands of
    client sockets and their TIME_WAIT leftovers live.
    """
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 32_000)
        try:
            for p in (port, port + 1):
                with socket.socket() as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no two free consecutive ports")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _pin(cmd: list[str], cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu), *cmd] if cpu is not None and shutil.which("taskset") else cmd


# Pseudonyms never spell a word a lexicon or a reserved-name list could catch: letters without
# vowels (nor b, j), and digits (tests/support/client.py does the same).
_ALPHABET = "cdfghkmnpqstvwxz23456789"
_POSTAL = ("75011", "69003", "13005", "33000", "59000", "31000", "44000", "67000", "35000", "06000")


def pseudonym(n: int) -> str:
    digits = []
    while True:
        n, r = divmod(n, len(_ALPHABET))
        digits.append(_ALPHABET[r])
        if n == 0:
            break
    return "pf" + "".join(reversed(digits))


class Target:
    """A server under test: start/stop it, and make the specs of clients that can reach it."""

    name = "?"
    label = "?"
    # Does a client that reconnects get what it missed (resume)? Only Causette.
    resumes = False

    def __init__(self) -> None:
        self.pids: list[int] = []
        self.info: dict[str, Any] = {}

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def clients(self, n: int) -> list[ClientSpec]:
        raise NotImplementedError

    def adapter(self, spec: ClientSpec, track_heads: bool = False) -> Adapter:
        raise NotImplementedError

    def rss_kb(self) -> int:
        return sum(rss_kb(pid) for pid in self.pids)

    def alive(self) -> bool:
        return all(Path(f"/proc/{pid}").exists() for pid in self.pids)

    async def __aenter__(self) -> Target:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class _Process:
    """A child process in its own session, stopped with SIGTERM then SIGKILL."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check(self) -> None:
        if self.proc.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"server exited with status {self.proc.returncode}:\n{tail}")

    def stop(self, grace: float = 10.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# --- a minimal HTTP/1.1 client (keep-alive), for entering thousands of sessions fast ------------
class HttpConn:
    """One keep-alive HTTP/1.1 connection: a tenth of httpx's client CPU per request, which
    matters when the generator makes 19,000 sessions."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        for attempt in range(2):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            try:
                self.writer.write(head.encode() + body)
                raw = await self.reader.readuntil(b"\r\n\r\n")
                lines = raw.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ", 2)[1])
                length = 0
                close = False
                for line in lines[1:]:
                    key, _, value = line.partition(":")
                    key = key.strip().lower()
                    if key == "content-length":
                        length = int(value)
                    elif key == "connection" and value.strip().lower() == "close":
                        close = True
                data = await self.reader.readexactly(length) if length else b""
                if close:
                    self.close()
                return status, data
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- Causette ------------------------------------------------------------------------------------
def bench_rooms_file(path: Path, rooms: int) -> None:
    """The packaged catalogue plus `rooms` theme rooms bench-0 … bench-<rooms-1>."""
    text = resources.files("causette.chat").joinpath("default_rooms.toml").read_text(encoding="utf-8")
    extra = "".join(
        f'\n[[room]]\nid = "{room_name(i)}"\nname = "Bench {i}"\nkind = "theme"\ntopic = "benchmark"\n'
        for i in range(rooms)
    )
    path.write_text(text + extra, encoding="utf-8")


class CausetteTarget(Target):
    name = "causette"
    label = "Causette"
    resumes = True

    def __init__(
        self,
        rooms: int = 400,
        env: dict[str, str] | None = None,
        label: str | None = None,
        cpu: int | None = SERVER_CPU,
        http_concurrency: int = 32,
    ) -> None:
        super().__init__()
        self.rooms = rooms
        self.env = dict(env or {})
        if label:
            self.label = label
        self.cpu = cpu
        self.http_concurrency = http_concurrency
        self.port = 0
        self.ws_url = ""
        self.dir: Path | None = None
        self.proc: _Process | None = None
        self._serial = itertools.count()
        self.directory: dict[str, str] = {}  # pseudonym -> user id

    async def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="causette-perf-"))
        bench_rooms_file(self.dir / "rooms.toml", self.rooms)
        self.port = free_port_pair()
        env = dict(
            os.environ,
            CAUSETTE_RATE_LIMITS="off",
            CAUSETTE_LOG_LEVEL="warning",
            CAUSETTE_ROOMS_FILE=str(self.dir / "rooms.toml"),
        )
        env.update(self.env)
        cmd = [str(CAUSETTE_BIN), "serve", "--port", str(self.port), "--data-dir", str(self.dir / "data")]
        self.proc = _Process(_pin(cmd, self.cpu), env, self.dir / "server.log")
        self.pids = [self.proc.pid]
        http = HttpConn("127.0.0.1", self.port)
        deadline = time.monotonic() + 60
        while True:
            self.proc.check()
            try:
                status, body = await http.request("GET", "/api/v1/config")
                if status == 200:
                    self.ws_url = orjson.loads(body)["ws_url"]
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("causette did not answer within 60 s")
            await asyncio.sleep(0.1)
        http.close()
        self.info = {
            "env": {k: v for k, v in env.items() if k.startswith("CAUSETTE_") and k != "CAUSETTE_ROOMS_FILE"},
            "cpu": self.cpu,
            "database": "sqlite",
        }

    async def stop(self) -> None:
        if self.proc is not None:
            proc, self.proc = self.proc, None
            await asyncio.to_thread(proc.stop)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    async def enter(self, n: int, concurrency: int | None = None) -> tuple[list[ClientSpec], dict[str, Any]]:
        """Create `n` sessions over HTTP (`concurrency` keep-alive connections); returns the client
        specs and the entry figures: sessions/s, latency, refusals."""
        todo = iter(range(n))
        specs: list[ClientSpec | None] = [None] * n
        latencies: list[int] = []
        refusals: dict[str, int] = {}

        async def worker() -> None:
            http = HttpConn("127.0.0.1", self.port)
            try:
                for i in todo:
                    for _attempt in range(5):
                        k = next(self._serial)
                        nick = pseudonym(k)
                        body = orjson.dumps(
                            {
                                "pseudonym": nick,
                                "age": 18 + k % 50,
                                "gender": "fmx"[k % 3],
                                "postal_code": _POSTAL[k % len(_POSTAL)],
                            }
                        )
                        t0 = time.monotonic_ns()
                        status, data = await http.request("POST", "/api/v1/sessions", body)
                        if status == 201:
                            latencies.append(time.monotonic_ns() - t0)
                            got = orjson.loads(data)
                            user_id = got["user"]["id"]
                            self.directory[nick] = user_id
                            specs[i] = ClientSpec(f"{self.ws_url}?token={got['token']}", nick, user_id)
                            break
                        try:
                            code = orjson.loads(data)["error"]["code"]
                        except (orjson.JSONDecodeError, KeyError, TypeError):
                            code = f"http_{status}"
                        refusals[code] = refusals.get(code, 0) + 1
            finally:
                http.close()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency or self.http_concurrency)))
        seconds = time.perf_counter() - t0
        made = [s for s in specs if s is not None]
        from bench.perf.loadgen import percentile_ms

        stats = {
            "sessions": len(made),
            "seconds": round(seconds, 3),
            "per_s": round(len(made) / seconds, 1) if seconds else None,
            "p50_ms": percentile_ms(latencies, 0.5),
            "p99_ms": percentile_ms(latencies, 0.99),
            "refusals": refusals,
            "concurrency": concurrency or self.http_concurrency,
        }
        if len(made) < n:
            raise RuntimeError(f"only {len(made)} of {n} sessions were created: {refusals}")
        return made, stats

    async def clients(self, n: int) -> list[ClientSpec]:
        specs, stats = await self.enter(n)
        self.info["last_entry"] = stats
        return specs

    def adapter(self, spec: ClientSpec, track_heads: bool = False) -> Adapter:
        return CausetteAdapter(spec.nick, track_heads=track_heads)


# --- the ceiling ---------------------------------------------------------------------------------
class CeilingTarget(Target):
    name = "ceiling"
    label = "picows ceiling"

    def __init__(self, cpu: int | None = SERVER_CPU) -> None:
        super().__init__()
        self.cpu = cpu
        self.port = 0
        self.dir: Path | None = None
        self.proc: _Process | None = None
        self._serial = itertools.count()

    async def start(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ceiling-perf-"))
        self.port = free_port_pair()
        cmd = [sys.executable, "-m", "bench.perf.ceiling", "--port", str(self.port)]
        self.proc = _Process(_pin(cmd, self.cpu), dict(os.environ), self.dir / "server.log")
        self.pids = [self.proc.pid]
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            self.proc.check()
            if time.monotonic() > deadline:
                raise RuntimeError("the ceiling server did not listen within 30 s")
            await asyncio.sleep(0.05)
        self.info = {"cpu": self.cpu}

    async def stop(self) -> None:
        if self.proc is not None:
            proc, self.proc = self.proc, None
            await asyncio.to_thread(proc.stop)
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    async def clients(self, n: int) -> list[ClientSpec]:
        out = []
        for _ in range(n):
            nick = pseudonym(next(self._serial))
            out.append(ClientSpec(f"ws://127.0.0.1:{self.port}/ws?nick={nick}", nick, nick))
        return out

    def adapter(self, spec: ClientSpec, track_heads: bool = False) -> Adapter:
        return CausetteAdapter(spec.nick, track_heads=track_heads)


# --- InspIRCd ------------------------------------------------------------------------------------
class InspircdTarget(Target):
    name = "inspircd"
    label = "InspIRCd 3"

    def __init__(self, cpu: int | None = SERVER_CPU, quiet_joins: bool = True) -> None:
        super().__init__()
        self.cpu = cpu
        self.quiet_joins = quiet_joins
        self.server: Any = None
        self._serial = itertools.count()
        self._adapter: Adapter | None = None

    async def start(self) -> None:
        from bench.perf import inspircd

        version = await asyncio.to_thread(inspircd.ensure_installed)
        self.server = inspircd.InspIRCd(quiet_joins=self.quiet_joins)
        port = free_port_pair()
        await asyncio.to_thread(self.server.start, port, cpu=self.cpu)
        self.pids = [self.server.pid]
        self.info = {"version": version, "cpu": self.cpu, "quiet_joins": self.quiet_joins}

    async def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            await asyncio.to_thread(server.stop)

    async def clients(self, n: int) -> list[ClientSpec]:
        from bench.perf.irc import nick_for

        assert self.server is not None
        out = []
        for _ in range(n):
            nick = nick_for(next(self._serial))
            out.append(ClientSpec(self.server.ws_url, nick, nick))
        return out

    def adapter(self, spec: ClientSpec, track_heads: bool = False) -> Adapter:
        if self._adapter is None:
            from bench.perf.irc import IrcAdapter

            self._adapter = IrcAdapter()  # stateless: one for every client
        return self._adapter


TARGETS: dict[str, type[Target]] = {
    "causette": CausetteTarget,
    "inspircd": InspircdTarget,
    "ceiling": CeilingTarget,
}


def inspircd_available() -> bool:
    """InspIRCd can be used: installed, or installable with apt-get (as root)."""
    return Path("/usr/sbin/inspircd").exists() or (shutil.which("apt-get") is not None and os.geteuid() == 0)
