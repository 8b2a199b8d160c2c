"""Smoke run of the performance suite (bench/perf/, issue 7): the harness itself works.

`python -m bench.perf --quick` against Causette and the picows ceiling (InspIRCd needs apt and
takes long: `make bench` runs it), tiny sizes (20 clients, one 1-second run per load step), into a
temporary directory. Only the shape and the exactness of the counts are checked, never a timing:
the machine may be loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["big-room", "mix", "storm", "entry"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("perf")
    cmd = [
        sys.executable,
        "-m",
        "bench.perf",
        "--quick",
        "--target",
        "causette",
        "ceiling",
        "--scenario",
        *SCENARIOS,
        "--max-deliveries",
        "800",
        "--out",
        str(out),
        "--no-plots",
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    return out


def _load(out: Path, scenario: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / f"perf-{scenario}.json").read_text())
    assert data["scenario"] == scenario
    return data


def _exact(step: dict[str, Any]) -> None:
    """Every message reached every member once, in order; the figures are there."""
    assert step["messages_sent"] > 0
    assert step["delivered"] > 0
    assert step["delivered"] == step["expected_deliveries"]
    assert step["lost"] == 0
    assert step["duplicates"] == 0
    assert step["reordered"] == 0
    assert step["errors"] == 0
    assert step["p50_ms"] is not None and step["p50_ms"] <= step["p99_ms"] <= step["p999_ms"]
    assert step["server_cpu_s"] >= 0
    assert 0 <= step["generator_cpu_share"]
    assert step["server_rss_mb"] > 0


def test_big_room(results: Path) -> None:
    data = _load(results, "big-room")
    for target in ("causette", "ceiling"):
        room = data["targets"][target]["sizes"]["20"]
        assert "error" not in room, room
        assert room["members"] == 20
        assert room["steps"]
        for step in room["steps"]:
            _exact(step)
            assert step["offered_deliveries_per_s"] > 0
        assert room["knee"] is not None


def test_mix(results: Path) -> None:
    data = _load(results, "mix")
    for target in ("causette", "ceiling"):
        mix = data["targets"][target]
        assert "error" not in mix, mix
        assert mix["private_pairs"] == 10
        for step in mix["steps"]:
            _exact(step)


def test_storm(results: Path) -> None:
    data = _load(results, "storm")
    storm = data["targets"]["causette"]
    assert "error" not in storm, storm
    assert storm["dropped"] == 10
    assert storm["reconnect"]["failed"] == 0
    assert storm["all_back_seconds"] > 0
    _exact(storm["overall"])
    assert set(storm["overall"]["by_group"]) == {"stayer", "dropper"}
    assert "skipped" in data["targets"]["ceiling"]


def test_entry(results: Path) -> None:
    data = _load(results, "entry")
    for target in ("causette", "ceiling"):
        assert data["targets"][target]["sessions_per_s"] > 0


def test_summary(results: Path) -> None:
    text = (results / "perf.md").read_text()
    for title in ("## 1. Big room", "## 2. Realistic mix", "## 4. Reconnect storm", "## 6. Entry"):
        assert title in text
