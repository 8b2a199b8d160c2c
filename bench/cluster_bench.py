"""One node against two: the room fan-out workload on the embedded default and on a cluster.

The workload of bench/fanout.py (whose client code this imports): one room of MEMBERS picows
clients, SENDERS of them sending at an offered load of L messages/s in total (L / SENDERS each,
staggered in phase), the send time and a per-sender number in every message. Three set-ups:

  pg-redis-1node   one `causette serve` on PostgreSQL + the Redis bus
  pg-redis-2nodes  two nodes on one PostgreSQL database + Redis; members and senders split
                   half/half between the nodes (member i on node i % 2)
  sqlite-local     the embedded default, for reference: SQLite + the in-process bus

Each set-up is started once (fresh PostgreSQL database, fresh Redis prefix, fresh data dirs, the
nodes sharing one `secret.key`); its members connect once; then the offered load steps up, each
point run RUNS times (the table shows the median of each figure, the JSON keeps every run). A
set-up stops climbing once a point is far past the knee (p99 over 1 s, losses or dropped
sockets), so that an overloaded server does not spoil the runs that follow.

The machine may be shared: the bench accounts for the whole machine's CPU (/proc/stat) and flags a
run "contended" when other processes took more than FOREIGN_LIMIT % of a core during it; such runs
are retried within a time budget and left out of a point's median when it has clean runs.

For every run: offered and delivered messages/s and deliveries/s; loss, duplicates and reordering
per member (from each sender's message numbers, and from the room's seq, which must rise by one
at every member whatever node it is on); latency p50/p99/p99.9 (and, with two nodes, for
deliveries that crossed from one node to the other); server CPU (every process of each node's
process group) per delivery; the CPU of Redis and of PostgreSQL (whole servers, shared with
anything else on the machine); RSS per node; the generator's own CPU: a figure is server-limited
only while the generator stays under 80 % of a core.

    .venv/bin/python bench/cluster_bench.py           # the full run (~8 min), writes
                                                      # bench/results/cluster-1v2.{json,md}
    .venv/bin/python bench/cluster_bench.py --quick   # smoke (~25 s): 20 members, one 2 s run per
                                                      # set-up; exits 0 if all was delivered once, in order

PostgreSQL (CAUSETTE_BENCH_POSTGRES_ADMIN_URL, default postgresql://root@127.0.0.1:5432/test) and
Redis (CAUSETTE_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0) must answer for (a) and (b);
without them those set-ups are skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop
from picows import WSFrame, WSMsgType, WSTransport

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import (  # bench/ is not a package
    CLK_TCK,
    ROOT,
    Member,
    Stats,
    connect_members,
    free_port_pair,
    percentile_ms,
    rss_mb,
    send_paced,
)

CAUSETTE = ROOT / ".venv" / "bin" / "causette"
POSTGRES_ADMIN_URL = os.environ.get(
    "CAUSETTE_BENCH_POSTGRES_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("CAUSETTE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
P99_TARGET_MS = 100.0
# Past any of these a set-up stops climbing: the server is far beyond its knee.
STOP_P99_MS = 1000.0
STOP_RATIO = 0.99
GENERATOR_LIMIT = 0.80
# A step waits for its stragglers this long after the last send at most, and gives up earlier
# when nothing has arrived for DRAIN_IDLE_S.
DRAIN_MAX_S = 30.0
DRAIN_IDLE_S = 3.0
SETTLE_S = 1.0
JOIN_WAIT_S = 45.0
# Before each run, wait up to QUIET_MAX_S for the machine to be below QUIET_PCT busy (of one core).
QUIET_PCT = 25.0
QUIET_MAX_S = 5.0
# A run during which other processes used more than this (% of one core) is flagged "contended";
# the point's median is taken over its clean runs when it has any, and a contended run is retried
# (up to --retries extra runs per point) while the bench is within 70 % of its --budget.
FOREIGN_LIMIT = 20.0


@dataclass(frozen=True)
class Setup:
    name: str
    nodes: int
    cluster: bool  # PostgreSQL + Redis; else SQLite + the in-process bus
    title: str
    pinned: bool = True  # nodes pinned to --node-cpus; else left to the scheduler
    one_writer: bool = False  # every sender on node a: one node stores, all fan out


SETUPS = {
    "pg-redis-1node": Setup("pg-redis-1node", 1, True, "(a) 1 node, PostgreSQL + Redis bus"),
    "pg-redis-2nodes": Setup("pg-redis-2nodes", 2, True, "(b) 2 nodes, PostgreSQL + Redis bus"),
    "sqlite-local": Setup("sqlite-local", 1, False, "(c) 1 node, SQLite + in-process bus (embedded)"),
    "pg-redis-2nodes-unpinned": Setup(
        "pg-redis-2nodes-unpinned", 2, True, "(b') as (b), the nodes not pinned (taskset off)", pinned=False
    ),
    "pg-redis-2nodes-1writer": Setup(
        "pg-redis-2nodes-1writer",
        2,
        True,
        "(b'') as (b), every sender on node a: one node stores, both fan out",
        one_writer=True,
    ),
}


# -- CPU accounting -------------------------------------------------------------------------------------
def _proc_stats() -> list[tuple[int, str, int, float]]:
    """(pid, comm, process group, CPU seconds) of every process we can read."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        head, _, rest = text.rpartition(")")
        fields = rest.split()
        comm = head.split("(", 1)[1]
        out.append((int(entry.name), comm, int(fields[2]), (int(fields[11]) + int(fields[12])) / CLK_TCK))
    return out


@dataclass
class CpuSnapshot:
    nodes: list[float]
    redis: float | None
    postgres: float | None
    generator: float
    machine: float  # busy CPU seconds of the whole machine, all cores
    softirq: float  # of which the kernel's softirq (network) time
    wall: float


def machine_busy() -> float:
    """Busy CPU seconds of all cores since boot (user, nice, system, irq, softirq, steal)."""
    return _machine()[0]


def _machine() -> tuple[float, float]:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK, softirq / CLK_TCK


def generator_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def snapshot(nodes: list[Node], redis_pid: int | None, postgres: bool) -> CpuSnapshot:
    procs = _proc_stats()
    per_node = [sum(cpu for _, _, pgrp, cpu in procs if pgrp == n.pid) for n in nodes]
    redis_cpu = next((cpu for pid, _, _, cpu in procs if pid == redis_pid), None)
    pg_cpu = sum(cpu for _, comm, _, cpu in procs if comm.startswith("postgres")) if postgres else None
    return CpuSnapshot(per_node, redis_cpu, pg_cpu, generator_cpu(), *_machine(), time.time())


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the bench dies, however it dies."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


# -- the nodes ------------------------------------------------------------------------------------------
class Node:
    """One `causette serve`, in its own process group, optionally pinned to a core."""

    def __init__(self, name: str, data_dir: Path, env: dict[str, str], database_url: str, cpu: int | None):
        self.name = name
        self.data_dir = data_dir
        self.env = env
        self.database_url = database_url
        self.cpu = cpu
        self.port = free_port_pair()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_url = ""
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [str(CAUSETTE), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        if self.cpu is not None:
            cmd = ["taskset", "-c", str(self.cpu), *cmd]  # taskset execs: same pid
        with (self.data_dir / "server.log").open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *cmd,
                env=self.env,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
            deadline = time.monotonic() + 30
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"node {self.name} exited:\n{self.log_tail()}")
                try:
                    cfg = (await http.get(f"{self.base}/api/v1/config")).json()
                    ws_url = str(cfg.get("ws_url") or "")
                    if ws_url.startswith("/") or not ws_url:
                        ws_url = f"ws://127.0.0.1:{self.port + 1}{ws_url or '/ws'}"
                    self.ws_url = ws_url
                    return
                except (httpx.HTTPError, ValueError):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"node {self.name} did not answer:\n{self.log_tail()}") from None
                    await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.data_dir / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# -- the members ----------------------------------------------------------------------------------------
class Probe(Member):
    """A member that checks order and completeness: per sender, message numbers must come
    0, 1, 2, ... exactly once; the room's seq must rise by one at every delivery."""

    def __init__(self, bench: Bench, node: int) -> None:
        super().__init__(bench.stats)
        self.bench = bench
        self.node = node
        self.closed = False
        self.error_texts: list[str] = []
        self.user_id = ""
        self.reset()

    def reset(self) -> None:
        # sender id -> [next expected number, numbers skipped so far (lost unless they come late)]
        self.track: dict[str, tuple[list[int], set[int]]] = {}
        self.last_seq = 0
        self.received = 0
        self.duplicates = 0
        self.reordered = 0
        self.seq_regressions = 0
        self.seq_gaps = 0
        self.acks = 0
        # A sender's own messages: number -> send time, and -> ack time (stored and acknowledged).
        self.sent_at: dict[int, float] = {}
        self.ack_at: dict[int, float] = {}

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.bench.disconnects += 1
        self.closed = True

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        data = orjson.loads(frame.get_payload_as_bytes())
        kind = data.get("t")
        if kind == "msg":
            bench = self.bench
            parts = data["text"].split(" ")
            if parts[0] != "b" or len(parts) < 4:
                return
            if parts[3] != bench.tag:
                bench.stray += 1  # a straggler of an earlier step
                return
            now = time.time()
            latency = now - float(parts[1])
            bench.stats.delivered += 1
            bench.last_rx = now
            sender = data["from"]["id"]
            if bench.node_of.get(sender, self.node) == self.node:
                bench.stats.latencies.append(latency)
            else:
                bench.cross_latencies.append(latency)
            self.received += 1
            n = int(parts[2])
            if sender == self.user_id:
                self.sent_at[n] = float(parts[1])
            entry = self.track.get(sender)
            if entry is None:
                entry = self.track[sender] = ([0], set())
            nxt, missing = entry
            if n == nxt[0]:
                nxt[0] = n + 1
            elif n > nxt[0]:
                missing.update(range(nxt[0], n))
                nxt[0] = n + 1
            elif n in missing:
                missing.discard(n)
                self.reordered += 1
            else:
                self.duplicates += 1
            seq = data["seq"]
            if self.last_seq:
                if seq <= self.last_seq:
                    self.seq_regressions += 1
                    return
                self.seq_gaps += seq - self.last_seq - 1
            self.last_seq = seq
        elif kind == "joined" and not self.joined.done():
            self.joined.set_result(None)
        elif kind == "ack":
            self.acks += 1
            cid = data.get("cid", "")
            if cid.endswith(self.bench.tag):  # "<index>-<n>-<tag>"
                self.ack_at[int(cid.split("-")[1])] = time.time()
        elif kind == "error":
            self.bench.stats.errors += 1
            if len(self.error_texts) < 5:
                self.error_texts.append(f"{data.get('code')}: {data.get('message')}")


@dataclass
class Bench:
    stats: Stats = field(default_factory=Stats)
    cross_latencies: list[float] = field(default_factory=list)
    node_of: dict[str, int] = field(default_factory=dict)  # user id -> node index
    tag: str = ""
    last_rx: float = 0.0
    stray: int = 0
    disconnects: int = 0

    def reset(self, tag: str) -> None:
        self.stats = Stats()
        self.cross_latencies = []
        self.tag = tag
        self.last_rx = 0.0
        self.stray = 0


# -- infrastructure -----------------------------------------------------------------------------------------
async def create_database() -> str:
    import asyncpg  # type: ignore[import-untyped]

    name = f"causette_bench_{secrets.token_hex(5)}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return POSTGRES_ADMIN_URL.rpartition("/")[0] + "/" + name


async def drop_database(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    finally:
        await conn.close()


def _visible(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").exists()


async def redis_pid() -> int | None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        pid = int((await client.info("server"))["process_id"])
    finally:
        await client.aclose()
    return pid if _visible(pid) else None  # only a local Redis


async def redis_cleanup(prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for i in range(0, len(keys), 500):
            await client.delete(*keys[i : i + 500])
    finally:
        await client.aclose()


async def backends_available() -> dict[str, str]:
    """Why PostgreSQL or Redis cannot be used ({} when both answer)."""
    problems = {}
    try:
        import asyncpg

        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
        await conn.close()
    except Exception as exc:
        problems["postgres"] = repr(exc)
    try:
        await redis_pid()
    except Exception as exc:
        problems["redis"] = repr(exc)
    return problems


async def create_sessions(node: Node, indexes: list[int], tag: str) -> list[tuple[str, str]]:
    """(token, user id) for each index, entered on `node`."""
    sem = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=30, trust_env=False) as http:

        async def one(i: int) -> tuple[str, str]:
            async with sem:
                r = await http.post(
                    f"{node.base}/api/v1/sessions",
                    json={"pseudonym": f"cb{i}x{tag}", "age": 30, "gender": "x", "postal_code": "75001"},
                )
                r.raise_for_status()
                body = r.json()
                return body["token"], body["user"]["id"]

        return await asyncio.gather(*(one(i) for i in indexes))


async def wait_joined(probes: list[Probe]) -> None:
    """Wait for every member's `joined`; join again, once, those still waiting after JOIN_WAIT_S."""
    for attempt in range(2):
        waiting = [p for p in probes if not p.joined.done()]
        if not waiting:
            return
        if attempt:
            for p in waiting:
                assert p.transport is not None
                p.transport.send(WSMsgType.TEXT, b'{"t":"join","room":"general"}')
        await asyncio.wait([p.joined for p in waiting], timeout=JOIN_WAIT_S)
    waiting = [p for p in probes if not p.joined.done()]
    if waiting:
        errors = sorted({e for p in waiting for e in p.error_texts})[:5]
        raise RuntimeError(
            f"{len(waiting)} of {len(probes)} members never joined the room "
            f"({sum(p.closed for p in waiting)} sockets closed; errors: {errors})"
        )


# -- one step --------------------------------------------------------------------------------
def _median(values: list[Any]) -> Any:
    nums = [v for v in values if isinstance(v, int | float) and v == v]
    if not nums:
        return values[0] if values else None
    m = statistics.median(nums)
    if all(isinstance(v, int) for v in nums):
        return round(m)  # the mean of the middle two, for an even count
    return round(m, 2)


async def wait_for_quiet(quiet_max: float) -> tuple[float, float]:
    """Wait (at most QUIET_MAX_S) until the machine is nearly idle between runs: other people's
    jobs on a 2-core machine would skew a run. Returns (seconds waited, last busy % seen)."""
    start = time.monotonic()
    while True:
        b0, t0 = machine_busy(), time.monotonic()
        await asyncio.sleep(0.5)
        busy = round(100 * (machine_busy() - b0) / (time.monotonic() - t0), 1)
        waited = time.monotonic() - start
        if busy <= QUIET_PCT or waited >= quiet_max:
            return round(waited, 1), busy


async def run_step(
    bench: Bench,
    nodes: list[Node],
    members: list[Probe],
    senders: list[Probe],
    load: float,
    duration: float,
    tag: str,
    rpid: int | None,
    postgres: bool,
    quiet_max: float,
) -> dict[str, Any]:
    quiet_wait, background = await wait_for_quiet(quiet_max)
    print(f"  {tag}: sending {load:g} msg/s for {duration:g} s", file=sys.stderr, flush=True)
    bench.reset(tag)
    for m in members:
        m.reset()
    rate = load / len(senders)
    per_sender = max(1, round(rate * duration))
    expected = per_sender * len(senders) * len(members)
    disconnects0 = bench.disconnects
    before = snapshot(nodes, rpid, postgres)
    t0 = time.time()
    await asyncio.gather(
        *(send_paced(s, i, len(senders), rate, per_sender, tag) for i, s in enumerate(senders))
    )
    t_sent = time.time()
    last_count, last_change = -1, time.monotonic()
    while bench.stats.delivered < expected:
        now = time.monotonic()
        if bench.stats.delivered != last_count:
            last_count, last_change = bench.stats.delivered, now
        if now - last_change > DRAIN_IDLE_S or time.time() - t_sent > DRAIN_MAX_S:
            break
        await asyncio.sleep(0.05)
    after = snapshot(nodes, rpid, postgres)
    wall = after.wall - before.wall
    delivered = bench.stats.delivered
    # The senders' schedule spans [t0, t0 + duration): the last message leaves one interval/senders
    # before its end. So from the first send to the last delivery, plus that, is the nominal
    # duration at a load the server keeps up with (delivered/s = offered/s), longer past it.
    span = (bench.last_rx or time.time()) - t0 + 1.0 / load
    node_cpu = [a - b for a, b in zip(after.nodes, before.nodes, strict=True)]
    gen_cpu = after.generator - before.generator
    lost = sum(
        len(missing) + (per_sender - nxt[0]) for m in members for nxt, missing in m.track.values()
    ) + sum(per_sender * (len(senders) - len(m.track)) for m in members)
    lat = sorted(bench.stats.latencies + bench.cross_latencies)
    ack_lat = sorted(s.ack_at[n] - s.sent_at[n] for s in senders for n in s.ack_at if n in s.sent_at)
    cross = sorted(bench.cross_latencies)
    result: dict[str, Any] = {
        "offered_msgs_per_s": load,
        "offered_deliveries_per_s": round(load * len(members)),
        "send_s": round(t_sent - t0, 2),  # senders keep to their schedule when this is ~duration
        "messages": per_sender * len(senders),
        "expected_deliveries": expected,
        "delivered": delivered,
        "delivered_ratio": round(delivered / expected, 5),
        "deliveries_per_s": round(delivered / span),
        "delivered_msgs_per_s": round(delivered / span / len(members), 1),
        "lost": lost,
        "duplicates": sum(m.duplicates for m in members),
        "reordered": sum(m.reordered for m in members),
        "members_with_loss": sum(
            1
            for m in members
            if len(m.track) < len(senders) or any(s or n[0] < per_sender for n, s in m.track.values())
        ),
        "room_seq_regressions": sum(m.seq_regressions for m in members),
        "room_seq_gaps": sum(m.seq_gaps for m in members),
        "acks": sum(s.acks for s in senders),
        # Send -> ack: decode, safety, the store's commit, on the sender's node.
        "ack_p50_ms": percentile_ms(ack_lat, 0.5),
        "ack_p99_ms": percentile_ms(ack_lat, 0.99),
        "errors": bench.stats.errors,
        "disconnects": bench.disconnects - disconnects0,
        "stray_earlier_step": bench.stray,
        "p50_ms": percentile_ms(lat, 0.5),
        "p99_ms": percentile_ms(lat, 0.99),
        "p999_ms": percentile_ms(lat, 0.999),
        "server_cpu_s": round(sum(node_cpu), 3),
        "server_cpu_us_per_delivery": round(sum(node_cpu) * 1e6 / max(1, delivered), 2),
        "node_cpu_pct": [round(100 * c / wall, 1) for c in node_cpu],
        "node_rss_mb": [round(rss_mb(n.pid), 1) for n in nodes],
        "generator_cpu_pct": round(100 * gen_cpu / wall, 1),
        "wall_s": round(wall, 2),
        "background_cpu_pct_before": background,
        "waited_for_quiet_s": quiet_wait,
    }
    if len(nodes) > 1:
        result["cross_node_deliveries"] = len(cross)
        result["cross_node_p50_ms"] = percentile_ms(cross, 0.5)
        result["cross_node_p99_ms"] = percentile_ms(cross, 0.99)
        same = sorted(bench.stats.latencies)
        result["same_node_p50_ms"] = percentile_ms(same, 0.5)
        result["same_node_p99_ms"] = percentile_ms(same, 0.99)
    if after.redis is not None and before.redis is not None:
        result["redis_cpu_pct"] = round(100 * (after.redis - before.redis) / wall, 1)
        result["redis_cpu_us_per_msg"] = round((after.redis - before.redis) * 1e6 / result["messages"], 1)
    ours = sum(node_cpu) + gen_cpu
    if after.redis is not None and before.redis is not None:
        ours += after.redis - before.redis
    if after.postgres is not None and before.postgres is not None:
        result["postgres_cpu_pct"] = round(100 * (after.postgres - before.postgres) / wall, 1)
        ours += after.postgres - before.postgres
    busy = after.machine - before.machine
    result["machine_busy_pct"] = round(100 * busy / wall, 1)  # of 100 % x cores
    # Everything else: other processes on the machine, and the kernel's softirq time (loopback TCP).
    result["other_cpu_pct"] = round(100 * max(0.0, busy - ours) / wall, 1)
    softirq = after.softirq - before.softirq
    result["softirq_cpu_pct"] = round(100 * softirq / wall, 1)
    # Other people's processes: a run they took more than FOREIGN_LIMIT % of a core from is "contended".
    result["foreign_cpu_pct"] = round(100 * max(0.0, busy - ours - softirq) / wall, 1)
    result["contended"] = result["foreign_cpu_pct"] > FOREIGN_LIMIT
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of every figure over the runs (lists element-wise); loss counters summed."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        if key in ("lost", "duplicates", "reordered", "room_seq_regressions", "room_seq_gaps", "disconnects"):
            out[key] = sum(values)  # any at all matters
        elif isinstance(values[0], list):
            out[key] = [_median(list(col)) for col in zip(*values, strict=True)]
        else:
            out[key] = _median(values)
    return out


# -- one set-up --------------------------------------------------------------------------------------------
async def run_setup(setup: Setup, args: argparse.Namespace, loads: list[float], work: Path) -> dict[str, Any]:
    bench = Bench()
    database_url = ""
    prefix = f"bench-{secrets.token_hex(4)}"
    env = dict(os.environ, CAUSETTE_RATE_LIMITS="off", CAUSETTE_LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    for key in ("CAUSETTE_DATABASE_URL", "CAUSETTE_REDIS_URL", "CAUSETTE_DATA_DIR", "CAUSETTE_CONFIG"):
        env.pop(key, None)
    rpid = None
    if setup.cluster:
        database_url = await create_database()
        env.update(CAUSETTE_REDIS_URL=REDIS_URL, CAUSETTE_REDIS_PREFIX=prefix)
        rpid = await redis_pid()
    cpus = [int(c) for c in args.node_cpus.split(",")] if args.node_cpus else []
    nodes = [
        Node(
            chr(ord("a") + i),
            work / setup.name / chr(ord("a") + i),
            env,
            database_url,
            cpus[i % len(cpus)] if cpus and setup.pinned else None,
        )
        for i in range(setup.nodes)
    ]
    members: list[Probe] = []
    try:
        for node in nodes:
            node.data_dir.mkdir(parents=True)
            # A cluster signs tokens with one secret: every node gets the same key.
            (node.data_dir / "secret.key").write_text("bench-cluster-secret-" + "x" * 40)
        for node in nodes:  # one after the other: the first one migrates the fresh database
            await node.start()
        t_setup = time.perf_counter()
        sessions_s = 0.0
        by_node: list[list[int]] = [
            [i for i in range(args.members) if i % len(nodes) == k] for k in range(len(nodes))
        ]
        slots: dict[int, Probe] = {}
        for k, node in enumerate(nodes):
            t = time.perf_counter()
            entered = await create_sessions(node, by_node[k], prefix)
            sessions_s += time.perf_counter() - t
            for _, uid in entered:
                bench.node_of[uid] = k
            uids = [u for _, u in entered]
            tokens = [t for t, _ in entered]
            chunks = [tokens[i : i + 100] for i in range(0, len(tokens), 100)]  # 100 at a time per connector
            probes = [
                probe
                for chunk in await asyncio.gather(
                    *(
                        connect_members(node.ws_url, c, lambda k=k: Probe(bench, k), join_timeout=None)
                        for c in chunks
                    )
                )
                for probe in chunk
            ]
            await wait_joined(probes)  # type: ignore[arg-type]
            for probe, uid in zip(probes, uids, strict=True):
                probe.user_id = uid  # type: ignore[attr-defined]
            for i, probe in zip(by_node[k], probes, strict=True):
                slots[i] = probe  # type: ignore[assignment]
        members = [slots[i] for i in range(args.members)]
        if (
            args.senders_on_first_node or setup.one_writer
        ):  # diagnosis: one node stores every message, the others only fan out
            senders = [m for m in members if m.node == 0][: args.senders]
        else:
            senders = members[: args.senders]  # alternate nodes: half of them on each with two nodes
        setup_s = time.perf_counter() - t_setup
        await asyncio.sleep(SETTLE_S)
        points = []
        stopped = ""
        for load in loads:
            if stopped:
                points.append({"offered_msgs_per_s": load, "skipped": stopped})
                continue
            runs = []
            r = 0
            while sum(1 for x in runs if not x["contended"]) < args.runs:
                if r >= args.runs and (
                    r >= args.runs + args.retries or time.monotonic() - args.t0 > 0.7 * args.budget
                ):
                    break
                tag = f"{setup.name[:2]}{int(load)}r{r}{secrets.token_hex(2)}"
                r += 1
                runs.append(
                    await run_step(
                        bench,
                        nodes,
                        members,
                        senders,
                        load,
                        args.duration,
                        tag,
                        rpid,
                        setup.cluster,
                        args.quiet_max if time.monotonic() - args.t0 < 0.7 * args.budget else 0.0,
                    )
                )
                print(f"  {setup.name} L={load:g} run {r}: {_brief(runs[-1])}", file=sys.stderr, flush=True)
                await asyncio.sleep(SETTLE_S)
            clean = [x for x in runs if not x["contended"]]
            point = summarise(clean or runs)
            for key in (
                "lost",
                "duplicates",
                "reordered",
                "room_seq_regressions",
                "room_seq_gaps",
                "disconnects",
            ):
                point[key] = sum(x[key] for x in runs)  # any at all matters, contended or not
            point["clean_runs"] = len(clean)
            point["contended"] = not clean
            point["attempts"] = len(runs)
            point["runs"] = runs
            points.append(point)
            # A contended point says little about the server: only a clean one stops the climb on its
            # latency; losses or dropped sockets stop it in any case.
            overloaded = point["p99_ms"] > STOP_P99_MS or point["delivered_ratio"] < STOP_RATIO
            if (overloaded and not point["contended"]) or point["disconnects"] or point["lost"]:
                stopped = f"past the knee at {load:g} msg/s"
        # The knee from the points with a clean run (no other job took the CPU): the highest load
        # below the first one whose p99 passes the target.
        measured = [p for p in points if "p99_ms" in p and not p["contended"]]
        first_over = next((p["offered_msgs_per_s"] for p in measured if p["p99_ms"] > P99_TARGET_MS), None)
        knee = [
            p["offered_msgs_per_s"]
            for p in measured
            if first_over is None or p["offered_msgs_per_s"] < first_over
        ]
        return {
            "setup": setup.name,
            "title": setup.title,
            "nodes": setup.nodes,
            "database": "postgresql" if setup.cluster else "sqlite",
            "bus": "redis" if setup.cluster else "local",
            "node_cpus": [n.cpu for n in nodes],
            "members_per_node": [len(b) for b in by_node],
            "senders_per_node": [sum(1 for s in senders if s.node == k) for k in range(len(nodes))],
            "setup_s": round(setup_s, 1),  # entering the sessions, connecting and joining
            "sessions_s": round(sessions_s, 1),
            "max_offered_with_p99_under_100ms": max(knee) if knee else None,
            "first_offered_with_p99_over_100ms": first_over,
            "contended_points": [p["offered_msgs_per_s"] for p in points if p.get("contended")],
            "points": points,
        }
    finally:
        for m in members:
            if m.transport is not None:
                m.transport.disconnect()
        await asyncio.gather(*(n.stop() for n in nodes), return_exceptions=True)
        if database_url:
            with contextlib.suppress(Exception):
                await drop_database(database_url)
        if setup.cluster:
            with contextlib.suppress(Exception):
                await redis_cleanup(prefix)


def _brief(r: dict[str, Any]) -> str:
    return (
        f"{r['deliveries_per_s']}/s ratio {r['delivered_ratio']} lost {r['lost']} dup {r['duplicates']} "
        f"reord {r['reordered']} p50 {r['p50_ms']} p99 {r['p99_ms']} ms (ack p99 {r['ack_p99_ms']}), "
        f"{r['server_cpu_us_per_delivery']} us/deliv, nodes {r['node_cpu_pct']} %, "
        f"gen {r['generator_cpu_pct']} %"
    )


# -- report --------------------------------------------------------------------------------
def markdown(report: dict[str, Any]) -> str:
    p = report["parameters"]
    lines = [
        "# One node against two (issue 8)",
        "",
        f"Room of {p['members']} members, {p['senders']} senders staggered in phase, "
        f"{p['duration_s']} s per run, "
        f"median of {p['runs']} run(s) per point (loss counters: sum over the runs). "
        f"Machine: {report['machine']['cpus']} cores ({report['machine']['cpu_model']}), "
        f"Python {report['machine']['python']}.",
        "",
        f"Command: `{report['command']}`",
        "",
        "| set-up | offered msg/s | offered deliv/s | delivered deliv/s | delivered msg/s | ratio "
        "| lost / dup / reord | p50 ms | p99 ms | p99.9 ms | server µs/deliv | node CPU % "
        "| Redis CPU % | PG CPU % | gen CPU % | foreign CPU % | clean runs | RSS MB/node |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in report["setups"]:
        for pt in s["points"]:
            if "skipped" in pt:
                lines.append(
                    f"| {s['setup']} | {pt['offered_msgs_per_s']:g} | — | skipped: {pt['skipped']} |"
                    + " |" * 14
                )
                continue
            gen = pt["generator_cpu_pct"]
            flag = " ⚠" if gen >= 100 * GENERATOR_LIMIT else ""
            lines.append(
                f"| {s['setup']} | {pt['offered_msgs_per_s']:g} | {pt['offered_deliveries_per_s']:,} "
                f"| {pt['deliveries_per_s']:,} | {pt['delivered_msgs_per_s']:g} | {pt['delivered_ratio']:g} "
                f"| {pt['lost']} / {pt['duplicates']} / {pt['reordered']} "
                f"| {pt['p50_ms']:g} | {pt['p99_ms']:g} | {pt['p999_ms']:g} "
                f"| {pt['server_cpu_us_per_delivery']:g} "
                f"| {' + '.join(f'{c:g}' for c in pt['node_cpu_pct'])} "
                f"| {pt.get('redis_cpu_pct', '—')} | {pt.get('postgres_cpu_pct', '—')} "
                f"| {gen:g}{flag} | {pt['foreign_cpu_pct']:g} "
                f"| {pt['clean_runs']}/{pt['attempts']}{' ⚠' if pt['contended'] else ''} "
                f"| {' / '.join(f'{m:g}' for m in pt['node_rss_mb'])} |"
            )
    lines += [
        "",
        "Knee, from the points with at least one clean run (highest offered load tested with p99 ≤ 100 ms; "
        "first one over):",
        "",
    ]
    for s in report["setups"]:
        under, over = s["max_offered_with_p99_under_100ms"], s["first_offered_with_p99_over_100ms"]
        if under:
            text = f"p99 ≤ 100 ms up to {under:g} msg/s"
            text += f", over from {over:g} msg/s" if over else ", not over at any load tested"
        elif over:
            text = f"p99 > 100 ms from the lowest clean load, {over:g} msg/s"
        else:
            text = "no clean point"
        if s["contended_points"]:
            text += f" (left out, no clean run: {', '.join(f'{x:g}' for x in s['contended_points'])} msg/s)"
        lines.append(f"- {s['title']}: {text}")
    lines += [
        "",
        "Where the time goes: send → ack (decode, safety check, the store's commit, on the sender's node) "
        "against send → delivery, p50 / p99 ms:",
        "",
        "| set-up | " + " | ".join(f"{x:g} msg/s" for x in p["loads_msgs_per_s"]) + " |",
        "|---|" + "---|" * len(p["loads_msgs_per_s"]),
    ]
    for s in report["setups"]:
        cells = []
        for pt in s["points"]:
            if "ack_p50_ms" not in pt:
                cells.append("—")
                continue
            cells.append(
                f"ack {pt['ack_p50_ms']:g} / {pt['ack_p99_ms']:g}; deliv {pt['p50_ms']:g} / {pt['p99_ms']:g}"
            )
        lines.append(f"| {s['setup']} | " + " | ".join(cells) + " |")
    two = [s for s in report["setups"] if s["nodes"] > 1]
    if two:
        lines += ["", "Two nodes, same-node against cross-node deliveries (p50 / p99 ms):", ""]
        for pt in two[0]["points"]:
            if "cross_node_p50_ms" in pt:
                lines.append(
                    f"- {pt['offered_msgs_per_s']:g} msg/s: same node {pt['same_node_p50_ms']:g} / "
                    f"{pt['same_node_p99_ms']:g}, across nodes {pt['cross_node_p50_ms']:g} / "
                    f"{pt['cross_node_p99_ms']:g}"
                )
    lines += ["", "Notes:", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    loads = [float(x) for x in args.loads.split(",")]
    wanted = args.setups.split(",")
    notes = []
    problems = await backends_available()
    setups = []
    for name in wanted:
        setup = SETUPS[name]
        if setup.cluster and problems:
            notes.append(f"{name} skipped: {problems}")
            continue
        setups.append(setup)
    work = Path(tempfile.mkdtemp(prefix="causette-cluster-bench-"))
    results = []
    try:
        for setup in setups:
            print(f"{setup.title}", file=sys.stderr, flush=True)
            results.append(await run_setup(setup, args, loads, work))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    cpus = os.cpu_count() or 0
    model = cpu_model()
    pin = (
        f"nodes pinned with taskset to cores {args.node_cpus} (node i on the i-th listed core), except in "
        "the '-unpinned' set-up"
        if args.node_cpus
        else "nodes not pinned"
    )
    gen = (
        f"the generator pinned to core {args.gen_cpu}"
        if args.gen_cpu is not None
        else "the generator not pinned"
    )
    notes += [
        f"This machine has {cpus} cores: with two nodes, both nodes, the load generator, Redis and "
        "PostgreSQL share them, so (b) measures the cost of the cluster more than its capacity.",
        f"Pinning: {pin}; {gen}; Redis and PostgreSQL (system services) not pinned.",
        "Server µs/deliv: CPU of every process of every node's process group over the run, divided by the "
        "deliveries; node CPU %: per node, share of one core over the run (including the drain).",
        "Redis CPU % and PG CPU %: whole redis-server and all postgres processes; they are shared with "
        "anything else on the machine, and counted apart from server µs/deliv.",
        f"gen CPU %: the load generator (all {args.members} clients in one uvloop process); "
        f"⚠ marks runs where it reached {int(100 * GENERATOR_LIMIT)} % of a core: there the figure may be "
        "limited by the generator, not the server.",
        "foreign CPU %: the machine's busy time minus the nodes, the generator, Redis, PostgreSQL and the "
        "kernel's softirq time: other people's jobs on this shared machine. Before each run the bench waits "
        f"(up to {args.quiet_max:g} s, until 70 % of the time budget) for the machine to fall under "
        f"{QUIET_PCT:g} % busy; a run with "
        f"foreign CPU over {FOREIGN_LIMIT:g} % is 'contended', retried (at most {args.retries} extra "
        "run(s) per point, within the time budget), and left out of the median when the point has "
        "clean runs; 'clean runs' is clean/attempted, ⚠ when no run was clean. Loss counters count "
        "every run.",
        "Each set-up runs every load on the same nodes and sockets (set up once); a set-up stops climbing "
        f"after a clean point with p99 > {STOP_P99_MS:g} ms or delivered ratio < {STOP_RATIO}, or after "
        "any point with losses or dropped sockets.",
        "(b'') sends from node a only: it separates the cost of two nodes storing into one conversation "
        "(its seq row, the sequencer's reordering of envelopes) from the cost of fanning out on two nodes.",
        "Loss / duplicates / reordering: per member, from each sender's message numbers; the room seq "
        "seen by each member is also checked (must rise, no gaps).",
    ]
    return {
        "benchmark": "cluster-1v2",
        "command": " ".join([".venv/bin/python bench/cluster_bench.py", *sys.argv[1:]]),
        "parameters": {
            "members": args.members,
            "senders": args.senders,
            "loads_msgs_per_s": loads,
            "duration_s": args.duration,
            "runs": args.runs,
            "node_cpus": args.node_cpus,
            "generator_cpu": args.gen_cpu,
            "p99_target_ms": P99_TARGET_MS,
        },
        "machine": {
            "cpus": cpus,
            "cpu_model": model,
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        },
        "setups": results,
        "notes": notes,
    }


def sane(report: dict[str, Any]) -> bool:
    """The lowest load of every set-up delivered everything, once and in order."""
    for s in report["setups"]:
        first = s["points"][0]
        if first.get("delivered_ratio") != 1 or first["lost"] or first["duplicates"] or first["reordered"]:
            return False
        if first["room_seq_regressions"] or first["room_seq_gaps"]:
            return False
    return True


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--senders", type=int, default=10)
    p.add_argument("--loads", default="20,50,80,110", help="offered loads, messages/s in total, ascending")
    p.add_argument("--duration", type=float, default=5.0, help="seconds of sending per run")
    p.add_argument("--runs", type=int, default=3, help="runs per point (median)")
    p.add_argument("--retries", type=int, default=1, help="extra runs per point to replace contended ones")
    p.add_argument("--budget", type=float, default=540.0, help="seconds; no retries past 70 %% of it")
    p.add_argument("--setups", default="", help="comma-separated (default: all): " + ", ".join(SETUPS))
    p.add_argument(
        "--node-cpus", default="0,1", help="cores for the nodes, node i on the i-th ('' : no pinning)"
    )
    p.add_argument("--gen-cpu", type=int, default=None, help="pin the load generator to this core")
    p.add_argument("--quick", action="store_true", help="smoke run: 20 members, one 2 s run at 20 msg/s")
    p.add_argument(
        "--quiet-max",
        type=float,
        default=QUIET_MAX_S,
        help=f"before each run, wait at most this long for the machine to fall under {QUIET_PCT:g} %% busy",
    )
    p.add_argument(
        "--senders-on-first-node",
        action="store_true",
        help="diagnosis: every sender on node a (one node stores, the others only fan out)",
    )
    p.add_argument("--keep", action="store_true", help="keep the nodes' data dirs and logs")
    p.add_argument(
        "--out", default="", help="JSON path (the .md beside it); default bench/results/cluster-1v2.json"
    )
    args = p.parse_args()
    args.t0 = time.monotonic()
    if args.quick:
        args.members, args.senders, args.loads, args.duration, args.runs = 20, 4, "20", 2.0, 1
        args.quiet_max, args.retries = 0.0, 0
        args.setups = args.setups or "pg-redis-1node,pg-redis-2nodes,sqlite-local"
    args.setups = args.setups or ",".join(SETUPS)
    if args.gen_cpu is not None:
        os.sched_setaffinity(0, {args.gen_cpu})
    report = uvloop.run(main_async(args))
    text = json.dumps(report, indent=2)
    if args.out or not args.quick:
        out = Path(args.out) if args.out else ROOT / "bench" / "results" / "cluster-1v2.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        out.with_suffix(".md").write_text(markdown(report))
        print(markdown(report))
    else:
        print(markdown(report))
    sys.exit(0 if sane(report) else 1)


if __name__ == "__main__":
    main()
