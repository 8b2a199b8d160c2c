"""The six scenarios of issue 7. Each runs against one target and returns a JSON-able dict.

1. `big-room`: one room of 100 / 1,000 / 5,000 members, 10 senders at a fixed rate each, phases
   staggered; the offered load is stepped up geometrically until p99 >= 100 ms or less than
   99.9 % is delivered (then one step between the last good and the first bad). The knee is the
   highest step that passed.
2. `mix`: 5,000 connections in rooms of 10-50 members, each also in one private conversation;
   one Poisson process of messages, 80 % to the sender's room and 20 % private; stepped like 1.
3. `idle`: ramp to 19,000 connections (each joins a room of 50); connects/s, KB of server RSS per
   connection, application ping round trip once they are all in.
4. `storm`: 5,000 members (rooms of 50, plus 5 members per room who stay, one of them sending)
   drop their sockets at once (TCP reset) and reconnect with resume while traffic goes on: time
   until all are back, messages lost or duplicated, latency of those who stayed.
5. `safety`: scenario 1 with 1,000 members, the safety engine on and off (Causette only).
6. `entry`: sessions created per second.

Step runs: each step is measured `runs` times (3 by default) on the same server and sockets, each
run its own window (fresh sender ids, so late frames of a run never count in the next), and the
step reports the median of each figure over its runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.perf import loadgen as lg
from bench.perf.servers import TARGETS, CausetteTarget, Target, room_name

P99_LIMIT_MS = 100.0
DELIVERED_MIN = 0.999


@dataclass
class Config:
    quick: bool = False
    runs: int = 3
    duration: float = 3.0  # seconds of sending per run
    settle: float = 0.5  # pause between runs
    setup_settle: float = 1.5  # pause after the clients are in (Causette batches presence by 1 s)
    idle_seconds: float = 5.0  # idle: how long the server's idle CPU is measured
    sizes: list[int] = field(default_factory=lambda: [100, 1000, 5000])
    senders: int = 10
    start: float = 20_000.0  # first step, offered deliveries/s
    factor: float = 1.4
    max_deliveries: float = 600_000.0
    refine: bool = True
    mix_connections: int = 5000
    mix_start: float = 200.0  # messages/s
    idle_connections: int = 19_000
    idle_room: int = 50
    storm_clients: int = 5000
    storm_rate: float = 2.0  # messages/s per room sender during the storm
    storm_before: float = 2.0  # seconds of traffic before the drop, and after all are back

    safety_members: int = 1000
    entry_sessions: int = 3000
    entry_concurrency: int = 64
    connect_concurrency: int = 256

    @classmethod
    def quick_config(cls) -> Config:
        return cls(
            quick=True,
            runs=1,
            duration=1.0,
            settle=0.1,
            setup_settle=0.2,
            idle_seconds=0.5,
            sizes=[20],
            senders=4,
            start=200.0,
            factor=4.0,
            max_deliveries=3_200.0,
            refine=False,
            mix_connections=20,
            mix_start=20.0,
            idle_connections=20,
            idle_room=10,
            storm_clients=10,
            storm_rate=10.0,
            storm_before=0.5,
            safety_members=20,
            entry_sessions=20,
            entry_concurrency=4,
            connect_concurrency=20,
        )

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def make_target(name: str, **kwargs: Any) -> Target:
    cls: Callable[..., Target] = TARGETS[name]
    return cls(**kwargs)


def _median(values: Sequence[Any]) -> Any:
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not nums:
        return values[0] if values else None
    m = statistics.median(nums)
    return round(m, 6) if isinstance(m, float) else m


def median_of_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric figure is the median over the runs. `generator_limited` follows the median
    generator share (the figure shown beside it); other flags are true if any run had them."""
    out: dict[str, Any] = {}
    for key in runs[0]:
        values = [r.get(key) for r in runs]
        if all(isinstance(v, bool) for v in values):
            out[key] = any(values)
        elif key == "error_samples":
            out[key] = [s for r in runs for s in r.get(key, [])][:5]
        else:
            out[key] = _median(values)
    if "generator_cpu_share" in out:
        out["generator_limited"] = out["generator_cpu_share"] >= lg.GENERATOR_LIMIT
    return out


def passed(step: dict[str, Any]) -> bool:
    p99 = step.get("p99_ms")
    ratio = step.get("delivered_ratio")
    return p99 is not None and ratio is not None and p99 < P99_LIMIT_MS and ratio >= DELIVERED_MIN


async def measure(
    target: Target,
    peers: Sequence[lg.Peer],
    send: Callable[[lg.Window], Awaitable[None]],
    groups: Sequence[str] | None = None,
    drain_limit: float = 30.0,
) -> dict[str, Any]:
    """One window: every peer watches it, `send` sends, then wait for the deliveries."""
    win = lg.Window(lg._next_sid + 1)
    for p in peers:
        p.watch(win)
    meter = lg.Meter(target.pids)
    await send(win)
    meter.sent()
    await lg.drain(win, limit=drain_limit)
    out = lg.summarise(win, groups)
    out.update(meter.done(win.unique()))
    if len(win.lat) > 1:
        out["by_group"] = lg.group_latency(win)
    out["server_rss_mb"] = round(target.rss_kb() / 1024, 1)
    for p in peers:
        p.watch(lg.VOID)
    return out


async def step_search(
    cfg: Config,
    target: Target,
    peers: Sequence[lg.Peer],
    offered_to_send: Callable[[float], Callable[[lg.Window], Awaitable[None]]],
    unit: str,
    start: float,
    deliveries_per_unit: float,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Step the offered load (in `unit`) up geometrically; record each step; find the knee."""
    steps: list[dict[str, Any]] = []
    tried: set[float] = set()

    async def run_step(offered: float) -> dict[str, Any]:
        runs = []
        for _ in range(cfg.runs):
            runs.append(await measure(target, peers, offered_to_send(offered)))
            await asyncio.sleep(cfg.settle)
            if not target.alive():
                break
        step = median_of_runs(runs)
        step = {
            unit: round(offered, 2),
            "offered_deliveries_per_s": round(offered * deliveries_per_unit, 1),
            **step,
            "passed": passed(step),
            "runs": runs,
        }
        tried.add(round(offered, 2))
        busy = f" (machine busy: others used {step['other_cpu_share']} cores)" if step["contended"] else ""
        log(
            f"  {target.label}: {offered:,.0f} {unit} → {step['deliveries_per_s']:,.0f} deliveries/s, "
            f"p99 {step['p99_ms']} ms, delivered {step['delivered_ratio']}, "
            f"server {step['server_cpu_us_per_delivery']} µs/delivery, "
            f"generator {step['generator_cpu_share']:.0%}{' LIMITED' if step['generator_limited'] else ''}"
            f"{busy}"
        )
        return step

    offered = start
    last_good: float | None = None
    first_bad: float | None = None  # the step that ended the climb
    while offered * deliveries_per_unit <= cfg.max_deliveries * 1.0001:
        step = await run_step(offered)
        steps.append(step)
        if not target.alive():
            break
        if not step["passed"]:
            first_bad = offered
            break
        last_good = offered
        offered *= cfg.factor
    if cfg.refine and last_good is not None and first_bad is not None and target.alive():
        mid = math.sqrt(last_good * first_bad)
        if round(mid, 2) not in tried:
            steps.append(await run_step(mid))
    steps.sort(key=lambda s: s[unit])
    return {"steps": steps, **knee_of(steps, unit)}


def knee_of(steps: list[dict[str, Any]], unit: str) -> dict[str, Any]:
    """The knee of a step search: the highest passing step; the highest passing step with the
    generator under 80 % (server-limited); and what stopped the search."""
    for s in steps:
        s["generator_limited"] = s.get("generator_cpu_share", 0) >= lg.GENERATOR_LIMIT
    good = [s for s in steps if s["passed"]]
    bad = [s for s in steps if not s["passed"]]
    knee = max(good, key=lambda s: s[unit]) if good else None
    clean = [s for s in good if not s["generator_limited"]]
    knee_clean = max(clean, key=lambda s: s[unit]) if clean else None
    if knee is None:
        limited_by = "no step passed"
    elif not bad:
        limited_by = "not reached (highest step passed)"
    elif knee["generator_limited"] or min(bad, key=lambda s: s[unit])["generator_limited"]:
        limited_by = "generator"
    else:
        limited_by = "server"
    return {
        "knee": _knee(knee, unit),
        # The highest passing step with the generator under 80 %: a server-limited figure.
        "knee_server_limited": _knee(knee_clean, unit),
        "knee_limited_by": limited_by,
        "contended_steps": sum(1 for s in steps if s.get("contended")),
    }


def _knee(step: dict[str, Any] | None, unit: str) -> dict[str, Any] | None:
    if step is None:
        return None
    keys = (
        unit,
        "deliveries_per_s",
        "offered_deliveries_per_s",
        "p50_ms",
        "p99_ms",
        "p999_ms",
        "server_cpu_us_per_delivery",
        "server_cpu_share",
        "generator_cpu_share",
        "generator_limited",
        "contended",
    )
    return {k: step.get(k) for k in keys}


def make_peers(target: Target, specs: Sequence[lg.ClientSpec], group: str = "all") -> list[lg.Peer]:
    return [lg.Peer(i, s, target.adapter(s), group) for i, s in enumerate(specs)]


def _check_connect(report: lg.ConnectReport, what: str) -> None:
    if report.failed:
        raise RuntimeError(f"{what}: {report.failed} clients failed to connect: {report.errors}")


async def _settle(seconds: float) -> None:
    """Let batched work (Causette's presence, once a second) pass before measuring."""
    await asyncio.sleep(seconds)


# --- 1. big room ---------------------------------------------------------------------------------
async def big_room(cfg: Config, target: Target, members: int, log: Callable[[str], None]) -> dict[str, Any]:
    """One target already started: `members` in one room, `cfg.senders` of them sending."""
    t0 = time.monotonic()
    specs = await target.clients(members)
    peers = make_peers(target, specs)
    rss0 = target.rss_kb()
    report = await lg.open_peers(peers, cfg.connect_concurrency)
    _check_connect(report, "big room")
    room = room_name(0)
    failures, errors = await lg.join_peers([(p, room) for p in peers], cfg.connect_concurrency)
    if failures:
        raise RuntimeError(f"big room: {failures} joins failed: {errors}")
    await _settle(cfg.setup_settle)
    setup_s = time.monotonic() - t0
    rss1 = target.rss_kb()
    echoes = peers[0].adapter.echoes
    recipients = members if echoes else members - 1
    senders = peers[: cfg.senders]
    routes = [lg.Route(p, recipients, room=room) for p in senders]

    def plan(offered_deliveries: float) -> Callable[[lg.Window], Awaitable[None]]:
        rate = offered_deliveries / recipients / len(routes)
        return lambda win: lg.send_fixed(routes, rate, cfg.duration, win)

    log(f" {target.label}: {members} members in {setup_s:.1f} s; stepping from {cfg.start:,.0f} deliveries/s")
    search = await step_search(cfg, target, peers, plan, "offered_deliveries_per_s_step", cfg.start, 1.0, log)
    for p in peers:
        lg.drop(p)
    return {
        "members": members,
        "senders": len(routes),
        "recipients_per_message": recipients,
        "setup_seconds": round(setup_s, 1),
        "connect": report.as_dict(),
        "server_rss_mb_before_connect": round(rss0 / 1024, 1),
        "server_rss_mb_idle": round(rss1 / 1024, 1),
        **search,
    }


# --- 2. realistic mix ----------------------------------------------------------------------------
async def mix(cfg: Config, target: Target, log: Callable[[str], None]) -> dict[str, Any]:
    rng = random.Random(42)
    n = cfg.mix_connections
    specs = await target.clients(n)
    peers = make_peers(target, specs)
    report = await lg.open_peers(peers, cfg.connect_concurrency)
    _check_connect(report, "mix")
    # Rooms of 10-50 members (the last one takes the rest).
    sizes: list[int] = []
    left = n
    while left > 0:
        size = min(left, rng.randint(10, 50))
        sizes.append(size)
        left -= size
    order = list(range(n))
    rng.shuffle(order)
    membership: list[tuple[lg.Peer, str]] = []
    room_of: dict[int, tuple[str, int]] = {}
    k = 0
    for r, size in enumerate(sizes):
        for _ in range(size):
            i = order[k]
            membership.append((peers[i], room_name(r)))
            room_of[i] = (room_name(r), size)
            k += 1
    failures, errors = await lg.join_peers(membership, cfg.connect_concurrency)
    if failures:
        raise RuntimeError(f"mix: {failures} joins failed: {errors}")
    # Private conversations: a random perfect matching (one person left alone if n is odd).
    rng.shuffle(order)
    pairs = [(peers[order[i]], peers[order[i + 1]]) for i in range(0, n - 1, 2)]
    failures, errors = await lg.open_privates(pairs)
    if failures:
        raise RuntimeError(f"mix: {failures} private conversations failed: {errors}")
    await _settle(cfg.setup_settle)
    echoes = peers[0].adapter.echoes
    routes: list[lg.Route] = []
    partner = {a.index: b for a, b in pairs} | {b.index: a for a, b in pairs}
    with_pm = len(partner)
    for p in peers:
        room, size = room_of[p.index]
        routes.append(lg.Route(p, size if echoes else size - 1, room=room, weight=0.8 / n))
        other = partner.get(p.index)
        if other is not None:
            routes.append(lg.Route(p, 2 if echoes else 1, nick=other.spec.nick, weight=0.2 / with_pm))
    per_msg = sum(r.recipients * r.weight for r in routes) / sum(r.weight for r in routes)

    def plan(rate: float) -> Callable[[lg.Window], Awaitable[None]]:
        return lambda win: lg.send_poisson(routes, rate, cfg.duration, win, seed=rng.randrange(1 << 30))

    log(f" {target.label}: {n} connections, {len(sizes)} rooms, {len(pairs)} private pairs")
    cfg2 = dataclasses.replace(cfg, max_deliveries=cfg.max_deliveries)
    search = await step_search(cfg2, target, peers, plan, "offered_msgs_per_s", cfg.mix_start, per_msg, log)
    for p in peers:
        lg.drop(p)
    return {
        "connections": n,
        "rooms": len(sizes),
        "room_sizes": {"min": min(sizes), "max": max(sizes), "mean": round(n / len(sizes), 1)},
        "private_pairs": len(pairs),
        "private_share": 0.2,
        "deliveries_per_message": round(per_msg, 2),
        "connect": report.as_dict(),
        **search,
    }


# --- 3. idle -------------------------------------------------------------------------------------
async def idle(cfg: Config, target: Target, log: Callable[[str], None]) -> dict[str, Any]:
    n = cfg.idle_connections
    specs = await target.clients(n)
    peers = make_peers(target, specs)
    await _settle(cfg.setup_settle)
    rss0 = target.rss_kb()
    cpu0 = lg.cpu_seconds(target.pids[0])
    gen_rss0 = lg.rss_kb()
    report = await lg.open_peers(peers, cfg.connect_concurrency)
    connected = [p for p in peers if p.connected]
    t_join = time.monotonic()
    failures, errors = await lg.join_peers(
        [(p, room_name(i // cfg.idle_room)) for i, p in enumerate(connected)], cfg.connect_concurrency
    )
    join_s = time.monotonic() - t_join
    ramp_cpu = lg.cpu_seconds(target.pids[0]) - cpu0
    await _settle(2 * cfg.setup_settle)
    rss1 = target.rss_kb()
    still = sum(1 for p in peers if p.connected)
    c0 = lg.cpu_seconds(target.pids[0])
    idle_t0 = time.monotonic()
    sample = connected[:: max(1, len(connected) // 200)][:200]
    pings = await lg.ping_rtt(sample)
    await asyncio.sleep(max(0.0, cfg.idle_seconds - (time.monotonic() - idle_t0)))
    idle_share = (lg.cpu_seconds(target.pids[0]) - c0) / (time.monotonic() - idle_t0)
    still_after = sum(1 for p in peers if p.connected)
    for p in peers:
        lg.drop(p)
    kb = (rss1 - rss0) / max(1, len(connected))
    log(
        f" {target.label}: {report.ok}/{n} connected at {report.as_dict()['per_s']}/s, "
        f"{kb:.1f} KB/connection, ping p99 {pings['p99_ms']} ms"
    )
    return {
        "connections": n,
        "connected": report.ok,
        "connect": report.as_dict(),
        "connects_per_s": report.as_dict()["per_s"],
        "joined_failures": failures,
        "join_errors": errors,
        "join_seconds": round(join_s, 2),
        "server_cpu_s_ramp": round(ramp_cpu, 2),
        "server_cpu_us_per_connect": round(ramp_cpu * 1e6 / max(1, report.ok), 1),
        "still_connected": still_after,
        "still_connected_before_ping": still,
        "server_rss_mb_before": round(rss0 / 1024, 1),
        "server_rss_mb_after": round(rss1 / 1024, 1),
        "kb_per_connection": round(kb, 2),
        "ping": pings,
        "server_cpu_share_idle": round(idle_share, 4),
        "generator_rss_mb_delta": round((lg.rss_kb() - gen_rss0) / 1024, 1),
        "room_size": cfg.idle_room,
    }


# --- 4. reconnect storm --------------------------------------------------------------------------
async def storm(cfg: Config, target: Target, log: Callable[[str], None]) -> dict[str, Any]:
    n = cfg.storm_clients
    per_room_drop = 50 if n >= 50 else n
    per_room_stay = 5 if n >= 50 else 2
    rooms = max(1, n // per_room_drop)
    total = rooms * (per_room_drop + per_room_stay)
    specs = await target.clients(total)
    peers: list[lg.Peer] = []
    membership: list[tuple[lg.Peer, str]] = []
    senders: list[lg.Route] = []
    size = per_room_drop + per_room_stay
    for i, spec in enumerate(specs):
        r, k = divmod(i, size)
        group = "stayer" if k < per_room_stay else "dropper"
        peer = lg.Peer(i, spec, target.adapter(spec, track_heads=group == "dropper"), group)
        peers.append(peer)
        membership.append((peer, room_name(r)))
    report = await lg.open_peers(peers, cfg.connect_concurrency)
    _check_connect(report, "storm")
    failures, errors = await lg.join_peers(membership, cfg.connect_concurrency)
    if failures:
        raise RuntimeError(f"storm: {failures} joins failed: {errors}")
    await _settle(cfg.setup_settle)
    echoes = peers[0].adapter.echoes
    for r in range(rooms):
        senders.append(lg.Route(peers[r * size], size if echoes else size - 1, room=room_name(r)))
    droppers = [p for p in peers if p.group == "dropper"]
    interval = 1.0 / cfg.storm_rate
    pre = max(cfg.storm_before, 3 * interval)
    result: dict[str, Any] = {}

    async def send(win: lg.Window) -> None:
        stop = asyncio.Event()

        async def storm_now() -> None:
            await asyncio.sleep(pre)
            missing_heads = sum(1 for p in droppers if not getattr(p.adapter, "heads", {"x": 0}))
            t0 = time.monotonic()
            for p in droppers:
                lg.drop(p, abort=True)
            rep = await lg.open_peers(droppers, concurrency=len(droppers), wait_s=120.0, attempts=3)
            back = time.monotonic() - t0
            result.update(
                {
                    "all_back_seconds": round(back, 3),
                    "reconnect": rep.as_dict(),
                    "droppers_without_resume_point": missing_heads,
                }
            )
            log(f" {target.label}: {len(droppers)} dropped; all back and resumed in {back:.2f} s")
            await asyncio.sleep(pre)
            stop.set()

        # Sender ids change with each slice of send_fixed; all are above the window's base.

        async def sending() -> None:
            # Send in slices until the storm is over.
            while not stop.is_set():
                await lg.send_fixed(senders, cfg.storm_rate, 1.0, win)

        await asyncio.gather(storm_now(), sending())

    out = await measure(target, peers, send, drain_limit=60.0)
    result.update(
        {
            "dropped": len(droppers),
            "stayed": len(peers) - len(droppers),
            "rooms": rooms,
            "room_size": size,
            "rate_per_room": cfg.storm_rate,
            "overall": out,
        }
    )
    for p in peers:
        lg.drop(p)
    return result


# --- 6. entry ------------------------------------------------------------------------------------
async def entry(cfg: Config, target: Target, log: Callable[[str], None]) -> dict[str, Any]:
    runs = []
    for _ in range(cfg.runs):
        if isinstance(target, CausetteTarget):
            _, stats = await target.enter(cfg.entry_sessions, cfg.entry_concurrency)
            stats["what"] = "POST /api/v1/sessions (HTTP, keep-alive)"
        else:
            specs = await target.clients(cfg.entry_sessions)
            peers = make_peers(target, specs)
            rep = await lg.open_peers(peers, cfg.entry_concurrency)
            for p in peers:
                lg.drop(p)
            stats = {
                "sessions": rep.ok,
                "seconds": round(rep.seconds, 3),
                "per_s": round(rep.ok / rep.seconds, 1) if rep.seconds else None,
                "failed": rep.failed,
                "concurrency": cfg.entry_concurrency,
                "what": "WebSocket connect + registration (no separate session step)",
            }
            await asyncio.sleep(1.0)
        runs.append(stats)
        log(f" {target.label}: {stats['sessions']} sessions at {stats['per_s']}/s")
    return {"sessions_per_s": _median([r["per_s"] for r in runs]), "runs": runs}


# --- 5. safety cost ------------------------------------------------------------------------------
# Names a setting that turns the safety engine off could have; the first one Settings has is used.
SAFETY_SWITCHES = ("safety", "safety_engine", "safety_enabled", "safety_mode")


def safety_off_env(scratch: str) -> tuple[dict[str, str], str]:
    """The environment that turns Causette's safety engine off, and what it really does.

    Causette has (so far) no setting to turn the engine off. Until it has one, "off" is the
    closest thing the settings allow: a lexicon directory (in `scratch`) with one label and one
    term nobody writes, so the engine still runs (normalisation, the phone-number and link
    patterns, the policy) but has no word list to match. (An empty directory makes the server
    fail: the Aho-Corasick automaton of an empty lexicon cannot be searched.)
    """
    from causette.settings import Settings

    names = {f.name: f for f in dataclasses.fields(Settings)}
    for name in SAFETY_SWITCHES:
        if name in names:
            default = names[name].default
            value = "false" if isinstance(default, bool) else "off"
            return {f"CAUSETTE_{name.upper()}": value}, f"{name}={value}"
    Path(scratch, "spam.toml").write_text(
        'label = "spam"\ndescription = "benchmark: nothing to match"\n[groups]\nnever = ["zzqqxxvvkk"]\n'
    )
    return (
        {"CAUSETTE_SAFETY_LEXICON_DIR": scratch},
        "no off switch in the settings: a lexicon of one unused word (normalisation and patterns still run)",
    )
