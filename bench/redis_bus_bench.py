"""Redis bus micro-benchmark: envelopes/s through publish → Redis → handler between two buses.

Two RedisBus instances in one process (node A publishes, node B is subscribed to the room) on
the local Redis, uvloop. Each run publishes ENVELOPES conversation envelopes of PAYLOAD bytes as
fast as `publish()` accepts them, in bursts of BURST with a yield to the loop between bursts
(as a busy node would), and times until B's handler has seen the last one. Both buses share one
core here, so the figure is the cost of both sides: encode + pipelined PUBLISH + read + decode
+ handler. Also reports the round-trip latency of a single envelope on an idle bus. Prints JSON
and writes it to bench/results/redis_bus.json.

    .venv/bin/python bench/redis_bus_bench.py --envelopes 200000 --payload 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from pathlib import Path

import uvloop
from redis.utils import HIREDIS_AVAILABLE

from causette.bus.base import Envelope
from causette.bus.redis import RedisBus

ROOT = Path(__file__).resolve().parents[1]


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()
        self.last: Envelope | None = None

    def __call__(self, env: Envelope) -> None:
        self.count += 1
        self.last = env
        if self.count >= self.target:
            self.done.set()

    def expect(self, n: int) -> None:
        self.count, self.target = 0, n
        self.done.clear()


async def throughput(a: RedisBus, counter: Counter, envelopes: int, payload: bytes, burst: int) -> float:
    counter.expect(envelopes)
    start = time.perf_counter()
    for i in range(envelopes):
        a.publish(Envelope("room-1", payload, sender="user-123", seq=i + 1))
        if i % burst == burst - 1:
            await asyncio.sleep(0)
    await asyncio.wait_for(counter.done.wait(), 120)
    elapsed = time.perf_counter() - start
    assert counter.last is not None and counter.last.seq == envelopes, "lost or reordered envelopes"
    return envelopes / elapsed


async def latency(a: RedisBus, counter: Counter, payload: bytes, samples: int) -> list[float]:
    times = []
    for i in range(samples):
        counter.expect(1)
        start = time.perf_counter()
        a.publish(Envelope("room-1", payload, sender="user-123", seq=i + 1))
        await asyncio.wait_for(counter.done.wait(), 10)
        times.append((time.perf_counter() - start) * 1e6)
    return times


async def main(args: argparse.Namespace) -> dict[str, object]:
    prefix = "bench-" + uuid.uuid4().hex[:8]
    a = RedisBus(args.url, prefix + "-a", prefix=prefix)
    b = RedisBus(args.url, prefix + "-b", prefix=prefix)
    counter = Counter()
    b.set_handler(counter)
    await a.start()
    await b.start()
    try:
        await b.interest("room-1")
        payload = os.urandom(args.payload)
        await throughput(a, counter, min(args.envelopes, 10_000), payload, args.burst)  # warm-up
        rates = [await throughput(a, counter, args.envelopes, payload, args.burst) for _ in range(args.runs)]
        lat = sorted(await latency(a, counter, payload, args.latency_samples))
    finally:
        await a.stop()
        await b.stop()
    return {
        "benchmark": "redis_bus",
        "envelopes_per_run": args.envelopes,
        "payload_bytes": args.payload,
        "burst": args.burst,
        "runs": args.runs,
        "envelopes_per_s": [round(r) for r in rates],
        "envelopes_per_s_median": round(statistics.median(rates)),
        "us_per_envelope_median": round(1e6 / statistics.median(rates), 2),
        "idle_round_trip_us": {
            "p50": round(lat[len(lat) // 2], 1),
            "p99": round(lat[int(len(lat) * 0.99)], 1),
        },
        "note": "publisher and subscriber buses share one process and one core; Redis runs beside them",
        "parser": "hiredis" if HIREDIS_AVAILABLE else "python (install redis[hiredis] for about 2x)",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "redis_url": args.url,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--envelopes", type=int, default=200_000)
    parser.add_argument("--payload", type=int, default=200)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-samples", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "redis_bus.json")
    args = parser.parse_args()
    text = json.dumps(uvloop.run(main(args)), indent=2)
    print(text)
    args.out.write_text(text + "\n")
