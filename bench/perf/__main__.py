"""Causette's performance suite (issue 7): `python -m bench.perf`, or `make bench` for all of it.

    .venv/bin/python -m bench.perf                                  # every scenario, every target
    .venv/bin/python -m bench.perf --scenario big-room --target causette ceiling --sizes 1000
    .venv/bin/python -m bench.perf --quick --target causette ceiling --out /tmp/perf   # smoke run

Each server under test runs pinned to core 0, this process (the load generator) to core 1.
Results: bench/results/perf-<scenario>.json, bench/results/perf.md, bench/results/perf-*.png
(docs/performance.md explains how to read them).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvloop

from bench.perf import loadgen as lg
from bench.perf import report
from bench.perf import scenarios as sc
from bench.perf.servers import TARGETS, Target, inspircd_available

SCENARIOS = ("big-room", "mix", "idle", "storm", "safety", "entry")
TARGET_NAMES = ("causette", "inspircd", "ceiling")
ROOT = Path(__file__).resolve().parents[2]


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _rooms_for(scenario: str, cfg: sc.Config) -> int:
    if scenario == "idle":
        return cfg.idle_connections // cfg.idle_room + 2
    if scenario == "mix":
        return cfg.mix_connections // 10 + 2
    if scenario == "storm":
        return cfg.storm_clients // 50 + 2
    return 4


async def _with_target(
    name: str, scenario: str, cfg: sc.Config, run: Callable[[Target], Any], **kwargs: Any
) -> dict[str, Any]:
    """Start a fresh target, run, stop it; a failure is recorded, not raised."""
    if name == "causette":
        kwargs.setdefault("rooms", _rooms_for(scenario, cfg))
    target = sc.make_target(name, **kwargs)
    t0 = time.monotonic()
    try:
        await target.start()
        result: dict[str, Any] = await run(target)
        result["server"] = target.info
    except Exception as exc:  # one target failing must not lose the others
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    finally:
        await target.stop()
    result["date"] = time.strftime("%Y-%m-%d %H:%M:%S")
    result["wall_seconds"] = round(time.monotonic() - t0, 1)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


async def run_scenario(scenario: str, targets: list[str], cfg: sc.Config) -> dict[str, Any]:
    def log(msg: str) -> None:
        print(msg, flush=True)

    log(f"== {scenario}")
    out: dict[str, Any] = {
        "scenario": scenario,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "config": cfg.as_dict(),
        "machine": machine(),
        "targets": {},
    }
    res: dict[str, Any] = out["targets"]
    if scenario == "big-room":
        for name in targets:
            res[name] = {"sizes": {}}
            for members in cfg.sizes:

                async def one(t: Target, members: int = members) -> dict[str, Any]:
                    return await sc.big_room(cfg, t, members, log)

                res[name]["sizes"][str(members)] = await _with_target(name, scenario, cfg, one)
    elif scenario == "mix":
        for name in targets:
            res[name] = await _with_target(name, scenario, cfg, lambda t: sc.mix(cfg, t, log))
    elif scenario == "idle":
        for name in targets:
            res[name] = await _with_target(name, scenario, cfg, lambda t: sc.idle(cfg, t, log))
    elif scenario == "storm":
        for name in targets:
            if not TARGETS[name].resumes:
                res[name] = {"skipped": "no resume: a reconnect loses what was sent meanwhile"}
                continue
            res[name] = await _with_target(name, scenario, cfg, lambda t: sc.storm(cfg, t, log))
    elif scenario == "safety":
        scratch = tempfile.mkdtemp(prefix="causette-no-lexicon-")
        env_off, how = sc.safety_off_env(scratch)
        out["safety_off"] = how
        for label, env in (("on", {}), ("off", env_off)):

            async def safety_room(t: Target) -> dict[str, Any]:
                return await sc.big_room(cfg, t, cfg.safety_members, log)

            res[label] = await _with_target(
                "causette", scenario, cfg, safety_room, env=env, label=f"Causette (safety {label})"
            )
        shutil.rmtree(scratch, ignore_errors=True)
    elif scenario == "entry":
        for name in targets:
            res[name] = await _with_target(name, scenario, cfg, lambda t: sc.entry(cfg, t, log))
    out["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, one short run per step (smoke test)")
    p.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    p.add_argument("--target", nargs="+", choices=TARGET_NAMES, default=list(TARGET_NAMES))
    p.add_argument("--runs", type=int, help="runs per load step (median); default 3, 1 with --quick")
    p.add_argument("--duration", type=float, help="seconds of sending per run (default 3)")
    p.add_argument("--sizes", help="big-room sizes, comma-separated (default 100,1000,5000)")
    p.add_argument("--senders", type=int, help="senders in the big room (default 10)")
    p.add_argument("--start", type=float, help="first load step, offered deliveries/s (default 20000)")
    p.add_argument("--factor", type=float, help="ratio between load steps (default 1.4)")
    p.add_argument("--max-deliveries", type=float, help="highest load step, deliveries/s (default 600000)")
    p.add_argument("--mix-connections", type=int)
    p.add_argument("--mix-start", type=float, help="first step of the mix, messages/s (default 200)")
    p.add_argument("--idle-connections", type=int)
    p.add_argument("--storm-clients", type=int)
    p.add_argument("--safety-members", type=int)
    p.add_argument("--entry-sessions", type=int)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="results directory")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--no-pin", action="store_true", help="do not pin the generator to core 1")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> sc.Config:
    cfg = sc.Config.quick_config() if args.quick else sc.Config()
    for key in (
        "runs",
        "duration",
        "senders",
        "start",
        "factor",
        "max_deliveries",
        "mix_connections",
        "mix_start",
        "idle_connections",
        "storm_clients",
        "safety_members",
        "entry_sessions",
    ):
        value = getattr(args, key)
        if value is not None:
            setattr(cfg, key, value)
    if args.sizes:
        cfg.sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    return cfg


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = config_from(args)
    proc = lg.prepare_process(None if args.no_pin else lg.GENERATOR_CPU)
    targets = list(dict.fromkeys(args.target))
    if "inspircd" in targets and not inspircd_available():
        print("inspircd: not installed and apt-get is not usable here: skipped", file=sys.stderr)
        targets.remove("inspircd")
    print(f"generator: {proc}; targets {targets}; scenarios {args.scenario}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    failed = False
    for scenario in args.scenario:
        result = uvloop.run(run_scenario(scenario, targets, cfg))
        report.write_scenario(args.out, scenario, result)
        failed |= report.has_errors(result)
    report.build(args.out, plots=not args.no_plots)
    print(f"done in {time.monotonic() - t0:.0f} s: {args.out / 'perf.md'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
