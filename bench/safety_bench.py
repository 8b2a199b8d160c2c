"""Safety engine benchmark: messages per second and p50/p99 µs per check, on one core.

Runs the packaged engine over a mix of synthetic messages: the evaluation set when present
(data/eval/safety.jsonl) and 200-character benign chat lines. Target (issue 4): p99 ≤ 200 µs for a
200-character message. Writes bench/results/safety.json.

    .venv/bin/python bench/safety_bench.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from pathlib import Path

from causette.safety.engine import SafetyEngine
from causette.safety.evaluation import context_of

ROOT = Path(__file__).resolve().parents[1]

BENIGN_200 = [
    "Salut tout le monde ! Quelqu'un veut discuter ce soir ? Je suis sur Lyon, j'aime le cinéma, les "
    "balades au bord du Rhône et les bons restos. Écrivez-moi si ça vous dit, à plus tard les amis !!",
    "mdr jsuis trop fatiguée après ma journée de taf, qq1 a vu le dernier épisode ? sans spoiler svp "
    "hein, je le regarde demain soir avec ma soeur. sinon vous faites quoi ce week-end ? moi rien lol",
    "Hey everyone, anyone around tonight for a chat? I just moved to Bordeaux for work and I don't know "
    "many people yet. I like hiking, board games and cooking, happy to swap recipes or tips on the city",
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    engine = SafetyEngine.default()
    eval_file = ROOT / "data" / "eval" / "safety.jsonl"
    items = (
        [json.loads(line) for line in eval_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if eval_file.exists()
        else []
    )
    mixed = [(str(i["text"]), context_of(i)) for i in items]
    long_ones = [(t, context_of({"channel": "room"})) for t in BENIGN_200]
    for text, ctx in mixed + long_ones:  # warm up
        engine.check(text, ctx)
    # As in the server (web/server.py): the long-lived objects loaded at start (lexicons,
    # automata, compiled patterns) are moved out of the collector's sight.
    gc.collect()
    gc.freeze()

    def run(cases: list, rounds: int) -> tuple[list[float], float]:
        timings: list[float] = []
        start = time.perf_counter()
        for _ in range(rounds):
            for text, ctx in cases:
                t0 = time.perf_counter_ns()
                engine.check(text, ctx)
                timings.append((time.perf_counter_ns() - t0) / 1000)
        return timings, time.perf_counter() - start

    mixed_t, mixed_s = run(mixed, args.rounds)
    long_t, long_s = run(long_ones, args.rounds * 200)
    result = {
        "scenario": "safety-engine",
        "mixed_eval_set": {
            "messages": len(mixed_t),
            "per_second": round(len(mixed_t) / mixed_s) if mixed_s else 0,
            "p50_us": round(statistics.median(mixed_t), 1) if mixed_t else None,
            "p99_us": round(percentile(mixed_t, 0.99), 1) if mixed_t else None,
        },
        "benign_200_chars": {
            "messages": len(long_t),
            "per_second": round(len(long_t) / long_s),
            "p50_us": round(statistics.median(long_t), 1),
            "p99_us": round(percentile(long_t, 0.99), 1),
            "target_p99_us": 200,
        },
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "safety.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
