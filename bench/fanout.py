"""Room fan-out benchmark: server CPU per delivered frame, throughput and latency.

Starts `causette serve` (CAUSETTE_RATE_LIMITS=off, fresh data dir), opens MEMBERS picows clients in
one room, and has SENDERS of them send MESSAGES each at RATE messages/s per sender (staggered in
phase). Every message carries its send time, so latency is measured exactly; every member counts
what it receives. Writes JSON to bench/results/fanout-<members>.json.

    .venv/bin/python bench/fanout.py --members 1000 --senders 10 --rate 20 --messages 100

The full suite of issue 7 (InspIRCd peer, knee search, plots) builds on this.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port_pair() -> int:
    while True:
        s, t = socket.socket(), socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        try:
            t.bind(("127.0.0.1", port + 1))
            return int(port)
        except OSError:
            continue
        finally:
            s.close()
            t.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Member(WSListener):
    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.transport: WSTransport | None = None
        self.joined = asyncio.get_running_loop().create_future()
        self.acks = 0

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        data = orjson.loads(frame.get_payload_as_bytes())
        kind = data.get("t")
        if kind == "msg":
            text = data["text"]
            if text.startswith("b "):
                sent = float(text.split(" ", 2)[1])
                self.stats.latencies.append(time.time() - sent)
                self.stats.delivered += 1
        elif kind == "joined" and not self.joined.done():
            self.joined.set_result(None)
        elif kind == "ack":
            self.acks += 1
        elif kind == "error":
            self.stats.errors += 1


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.delivered = 0
        self.errors = 0


async def connect_members(
    ws_url: str,
    tokens: list[str],
    factory: Callable[[], Member],
    room: str = "general",
    join_timeout: float | None = 60,
) -> list[Member]:
    """Open one socket per token, say hello and join `room`; returns once every member joined
    (or at once when `join_timeout` is None: the caller waits on `member.joined` itself)."""
    members: list[Member] = []
    for token in tokens:
        (_, member) = await ws_connect(factory, f"{ws_url}?token={token}")
        assert member.transport is not None
        member.transport.send(WSMsgType.TEXT, b'{"t":"hello","resume":{}}')
        member.transport.send(WSMsgType.TEXT, b'{"t":"join","room":"' + room.encode() + b'"}')
        members.append(member)
    if join_timeout is not None:
        await asyncio.wait_for(asyncio.gather(*(m.joined for m in members)), join_timeout)
    return members


async def send_paced(
    member: Member, index: int, senders: int, rate: float, messages: int, tag: str = "", conv: str = "general"
) -> None:
    """Send `messages` at `rate` per second, the phase staggered by `index` among `senders`.

    The text is `b <send time> <n>` (then ` <tag>` when given); the cid carries the tag too, so
    that repeated runs against one server are not taken for retries.
    """
    interval = 1.0 / rate
    await asyncio.sleep(interval * index / senders)  # stagger phases
    assert member.transport is not None
    suffix = f" {tag}" if tag else ""
    cid_suffix = f"-{tag}" if tag else ""
    start = time.perf_counter()
    for n in range(messages):
        frame = {
            "t": "say",
            "conv": conv,
            "cid": f"{index}-{n}{cid_suffix}",
            "text": f"b {time.time():.6f} {n}{suffix}",
        }
        member.transport.send(WSMsgType.TEXT, orjson.dumps(frame))
        delay = start + (n + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


def percentile_ms(ordered: list[float], p: float) -> float:
    """The p-quantile (0..1) of sorted seconds, in ms rounded to 0.01; NaN when empty."""
    if not ordered:
        return float("nan")
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)


async def run(args: argparse.Namespace) -> dict[str, object]:
    port = free_port_pair()
    data = tempfile.mkdtemp(prefix="causette-bench-")
    env = dict(os.environ, CAUSETTE_RATE_LIMITS="off", CAUSETTE_LOG_LEVEL="warning")
    cmd = [str(ROOT / ".venv/bin/causette"), "serve", "--port", str(port), "--data-dir", data]
    if args.database_url:
        cmd += ["--database-url", args.database_url]
    if args.server_cpu is not None:
        cmd = ["taskset", "-c", str(args.server_cpu), *cmd]
    proc = subprocess.Popen(  # noqa: ASYNC220 (started once, before the clock runs)
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for _ in range(100):
                try:
                    cfg = (await http.get(f"{base}/api/v1/config")).json()
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            tokens = []
            for i in range(args.members):
                r = await http.post(
                    f"{base}/api/v1/sessions",
                    json={"pseudonym": f"bench{i}x{port}", "age": 30, "gender": "x", "postal_code": "75001"},
                )
                tokens.append(r.json()["token"])
        stats = Stats()
        members = await connect_members(cfg["ws_url"], tokens, lambda: Member(stats))
        senders = members[: args.senders]
        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        await asyncio.gather(
            *(send_paced(m, i, len(senders), args.rate, args.messages) for i, m in enumerate(senders))
        )
        expected = len(senders) * args.messages * args.members
        deadline = time.perf_counter() + 30
        while stats.delivered < expected and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(proc.pid) - cpu0
        lat = sorted(stats.latencies)

        def pct(p: float) -> float:
            return percentile_ms(lat, p)

        result = {
            "scenario": "room-fanout",
            "members": args.members,
            "senders": len(senders),
            "offered_msgs_per_s": len(senders) * args.rate,
            "messages": len(senders) * args.messages,
            "expected_deliveries": expected,
            "delivered": stats.delivered,
            "delivered_ratio": round(stats.delivered / expected, 5) if expected else 0,
            "deliveries_per_s": round(stats.delivered / elapsed, 1),
            "server_cpu_s": round(cpu, 3),
            "server_cpu_us_per_delivery": round(cpu * 1e6 / max(1, stats.delivered), 2),
            "p50_ms": pct(0.5),
            "p99_ms": pct(0.99),
            "p999_ms": pct(0.999),
            "errors": stats.errors,
            "server_rss_mb": round(rss_mb(proc.pid), 1),
            "database": "postgresql" if args.database_url else "sqlite",
        }
        for m in members:
            if m.transport is not None:
                m.transport.disconnect()
        return result
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--members", type=int, default=200)
    p.add_argument("--senders", type=int, default=10)
    p.add_argument("--rate", type=float, default=10.0, help="messages per second per sender")
    p.add_argument("--messages", type=int, default=50, help="messages per sender")
    p.add_argument("--database-url", default="")
    p.add_argument("--server-cpu", type=int, default=None, help="pin the server to this core (taskset)")
    p.add_argument("--out", default="")
    args = p.parse_args()
    result = uvloop.run(run(args))
    print(json.dumps(result, indent=2))
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / f"fanout-{args.members}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    sys.exit(0 if result["delivered_ratio"] == 1 else 1)


if __name__ == "__main__":
    main()
