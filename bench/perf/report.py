"""Results of the performance suite: JSON per scenario, one Markdown summary, PNG plots.

`write_scenario` writes `perf-<scenario>.json`; `build` reads every `perf-*.json` of the directory
(so a partial re-run updates the summary) and writes `perf.md` and the plots
`perf-big-room.png` (p99 and p50 latency against offered deliveries/s, one panel per room size,
Causette, InspIRCd and the ceiling), `perf-big-room-cpu.png` (server CPU µs per delivery),
`perf-mix.png` and `perf-safety.png`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ORDER = ("big-room", "mix", "idle", "storm", "safety", "entry")
LABELS = {"causette": "Causette", "inspircd": "InspIRCd 3", "ceiling": "picows ceiling"}
COLOURS = {
    "causette": "tab:red",
    "inspircd": "tab:blue",
    "ceiling": "tab:green",
    "on": "tab:red",
    "off": "tab:gray",
}

# Targets of issue 7.
KNEE_TARGET = 120_000.0
CPU_RATIO_TARGET = 1.5
IDLE_TARGET = 19_000
STORM_SECONDS = 10.0
SAFETY_SHIFT = 0.05
ENTRY_TARGET = 2_000.0


def write_scenario(out: Path, scenario: str, result: dict[str, Any]) -> Path:
    """Write perf-<scenario>.json. Targets (and big-room sizes) of an earlier file that this run
    did not measure are kept, each with its own date, so scenarios can be re-run piecewise."""
    path = out / f"perf-{scenario}.json"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = {}
        new_targets = result.setdefault("targets", {})
        for name, r in old.get("targets", {}).items():
            if name not in new_targets:
                new_targets[name] = r
            elif "sizes" in r and "sizes" in new_targets[name]:
                for size, sr in r["sizes"].items():
                    new_targets[name]["sizes"].setdefault(size, sr)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return path


def load(out: Path) -> dict[str, dict[str, Any]]:
    """Every perf-*.json of `out`; knees are derived again from the steps (same rule for all)."""
    from bench.perf.scenarios import knee_of

    found = {}
    for name in ORDER:
        path = out / f"perf-{name}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        for t in data.get("targets", {}).values():
            for r in [t, *t.get("sizes", {}).values()]:
                steps = r.get("steps")
                if steps:
                    unit = "offered_msgs_per_s" if name == "mix" else "offered_deliveries_per_s_step"
                    r.update(knee_of(steps, unit))
        found[name] = data
    return found


def has_errors(result: dict[str, Any]) -> bool:
    def walk(x: Any) -> bool:
        if isinstance(x, dict):
            return "error" in x or any(walk(v) for v in x.values())
        return False

    return walk(result.get("targets", {}))


# --- formatting ----------------------------------------------------------------------------------
def _n(x: Any, digits: int = 0) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | float):
        return f"{x:,.{digits}f}"
    return str(x)


def _pct(x: Any, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f} %"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return [*lines, ""]


def _flags(step: dict[str, Any]) -> str:
    flags = []
    if step.get("generator_limited"):
        flags.append("generator-limited")
    if step.get("contended"):
        other, steal = step.get("other_cpu_share"), step.get("steal_share")
        flags.append(f"contended (others {other} cores, steal {steal})")
    if not step.get("passed"):
        flags.append("**over**")
    return ", ".join(flags)


def _steps_table(steps: list[dict[str, Any]], unit: str, unit_label: str) -> list[str]:
    rows = []
    for s in steps:
        loss = f"{_n(s.get('lost'))} / {_n(s.get('duplicates'))} / {_n(s.get('reordered'))}"
        rows.append(
            [
                _n(s.get(unit)),
                _n(s.get("offered_deliveries_per_s")),
                _n(s.get("deliveries_per_s")),
                _n(s.get("p50_ms"), 1),
                _n(s.get("p99_ms"), 1),
                _n(s.get("p999_ms"), 1),
                _pct(s.get("delivered_ratio"), 2),
                loss,
                _n(s.get("server_cpu_us_per_delivery"), 2),
                _pct(s.get("server_cpu_share")),
                _pct(s.get("generator_cpu_share")),
                _n(s.get("server_rss_mb"), 0),
                _flags(s),
            ]
        )
    head = [
        unit_label,
        "offered deliveries/s",
        "delivered/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "delivered",
        "lost / dup / reord.",
        "server µs/delivery",
        "server CPU",
        "generator CPU",
        "RSS MB",
        "",
    ]
    return _table(head, rows)


def _label(name: str) -> str:
    return LABELS.get(name, name)


# --- targets -------------------------------------------------------------------------------------
def _common(
    a: list[dict[str, Any]], b: list[dict[str, Any]], unit: str, clean: bool = False
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(a's step, b's step) at every load both passed; `clean`: with neither generator ≥ 80 % busy."""

    def ok(step: dict[str, Any]) -> bool:
        return bool(step.get("passed")) and not (clean and step.get("generator_limited"))

    good_b = {round(s[unit]): s for s in b if ok(s)}
    return [(s, good_b[round(s[unit])]) for s in a if ok(s) and round(s[unit]) in good_b]


def _highest_common(a: list[dict[str, Any]], b: list[dict[str, Any]], unit: str) -> tuple[Any, Any] | None:
    """The steps at the highest load both a and b passed."""
    common = _common(a, b, unit)
    return max(common, key=lambda pair: pair[0][unit]) if common else None


def _clean_ratios(a: list[dict[str, Any]], b: list[dict[str, Any]], unit: str) -> list[tuple[float, float]]:
    """(load, a's server CPU per delivery / b's) at every load both passed with neither
    generator ≥ 80 % busy."""
    out = []
    for s, t in _common(a, b, unit, clean=True):
        au, bu = s.get("server_cpu_us_per_delivery"), t.get("server_cpu_us_per_delivery")
        if au and bu:
            out.append((float(s[unit]), au / bu))
    return out


def evaluate(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of issue 7: goal, measured, pass/miss and the margin."""
    rows: list[dict[str, Any]] = []

    def row(name: str, goal: str, measured: str, ok: bool | None, margin: str) -> None:
        status = "–" if ok is None else ("pass" if ok else "**miss**")
        rows.append({"target": name, "goal": goal, "measured": measured, "status": status, "margin": margin})

    big = results.get("big-room", {}).get("targets", {})
    unit = "offered_deliveries_per_s_step"
    c1000 = big.get("causette", {}).get("sizes", {}).get("1000", {})
    i1000 = big.get("inspircd", {}).get("sizes", {}).get("1000", {})
    if c1000.get("steps"):
        knee = (c1000.get("knee") or {}).get("deliveries_per_s")
        limited = c1000.get("knee_limited_by")
        ok: bool | None = knee is not None and knee >= KNEE_TARGET
        if not ok and limited not in ("server", "no step passed"):
            ok = None  # the generator (or the step range) stopped the search first: inconclusive
        if ok and (c1000.get("knee") or {}).get("generator_limited"):
            limited = "generator: the server did at least this"
        row(
            "Big room 1,000: knee",
            f"≥ {KNEE_TARGET:,.0f} deliveries/s with p99 < 100 ms",
            f"{_n(knee)} deliveries/s (limited by {limited})",
            ok,
            f"{(knee or 0) / KNEE_TARGET - 1:+.0%}",
        )
    if c1000.get("steps") and i1000.get("steps"):
        pair = _highest_common(c1000["steps"], i1000["steps"], unit)
        if pair is None:
            row("Big room 1,000: CPU per delivery", "≤ 1.5 × InspIRCd's", "no load both sustained", None, "–")
        else:
            c, i = pair
            cu, iu = c.get("server_cpu_us_per_delivery"), i.get("server_cpu_us_per_delivery")
            ratio = cu / iu if cu and iu else None
            measured = f"{_n(cu, 2)} µs vs {_n(iu, 2)} µs at {_n(c[unit])} deliveries/s: ×{_n(ratio, 2)}"
            # The loads where neither generator was ≥ 80 % busy compare the servers best.
            clean = _clean_ratios(c1000["steps"], i1000["steps"], unit)
            if clean:
                ratios = sorted(r for _, r in clean)
                median = ratios[len(ratios) // 2]
                measured += (
                    f"; over the {len(clean)} loads up to {_n(max(load for load, _ in clean))}/s where "
                    f"neither generator was ≥ 80 % busy: ×{ratios[0]:.2f}–×{ratios[-1]:.2f}, "
                    f"median ×{median:.2f}"
                )
                ratio = median
            row(
                "Big room 1,000: CPU per delivery",
                "≤ 1.5 × InspIRCd's (same run)",
                measured,
                None if ratio is None else ratio <= CPU_RATIO_TARGET,
                "–" if ratio is None else f"{ratio / CPU_RATIO_TARGET - 1:+.0%}",
            )
    idle = results.get("idle", {}).get("targets", {})
    ci, ii = idle.get("causette", {}), idle.get("inspircd", {})
    if "connected" in ci:
        ok = ci["connected"] >= IDLE_TARGET and ci.get("still_connected", 0) >= IDLE_TARGET
        row(
            "Idle: connections in one process",
            f"{IDLE_TARGET:,}",
            f"{_n(ci['connected'])} connected, {_n(ci.get('still_connected'))} open after the pings",
            ok if ci.get("connections", 0) >= IDLE_TARGET else None,
            f"{ci['connected'] - IDLE_TARGET:+,}",
        )
    if "kb_per_connection" in ci and "kb_per_connection" in ii:
        ck, ik = ci["kb_per_connection"], ii["kb_per_connection"]
        row(
            "Idle: memory per connection",
            "≤ InspIRCd's",
            f"{_n(ck, 1)} KB vs {_n(ik, 1)} KB",
            ck <= ik,
            f"×{ck / ik:.1f}" if ik else "–",
        )
    storm = results.get("storm", {}).get("targets", {}).get("causette", {})
    if "all_back_seconds" in storm:
        back = storm["all_back_seconds"]
        overall = storm.get("overall", {})
        lost, dups = overall.get("lost"), overall.get("duplicates")
        ok = back <= STORM_SECONDS and lost == 0 and storm.get("reconnect", {}).get("failed", 1) == 0
        row(
            f"Reconnect storm of {storm.get('dropped', 0):,}",
            f"all back and resumed ≤ {STORM_SECONDS:.0f} s, nothing lost",
            f"{back:.2f} s; lost {lost}, duplicates {dups}",
            ok if storm.get("dropped", 0) >= 5000 else None,
            f"{back - STORM_SECONDS:+.2f} s",
        )
    safety = results.get("safety", {}).get("targets", {})
    on, off = (safety.get("on") or {}).get("knee"), (safety.get("off") or {}).get("knee")
    if on and off:
        shift = 1 - on["deliveries_per_s"] / off["deliveries_per_s"]
        how = results["safety"].get("safety_off", "")
        real = all(safety[k].get("knee_limited_by") == "server" for k in ("on", "off"))
        measured = (
            f"on {_n(on['deliveries_per_s'])} vs off {_n(off['deliveries_per_s'])} deliveries/s ({how})"
        )
        if not real:
            measured += "; a knee was not limited by the server: inconclusive"
            son, soff = safety["on"].get("steps"), safety["off"].get("steps")
            ccs = _clean_ratios(son, soff, unit) if son and soff else []
            if ccs:
                load, r = max(ccs)
                measured += (
                    f"; server CPU per delivery on/off at {_n(load)} deliveries/s (highest load with "
                    f"the generator under 80 %): ×{r:.2f}"
                )
        row(
            "Safety engine: knee shift",
            "< 5 %",
            measured,
            abs(shift) < SAFETY_SHIFT if real else None,
            f"{shift:+.1%}",
        )
    entry = results.get("entry", {}).get("targets", {}).get("causette", {})
    if entry.get("sessions_per_s") is not None:
        rate = entry["sessions_per_s"]
        row(
            "Entry",
            f"≥ {ENTRY_TARGET:,.0f} sessions/s",
            f"{_n(rate)} sessions/s",
            rate >= ENTRY_TARGET,
            f"{rate / ENTRY_TARGET - 1:+.0%}",
        )
    return rows


# --- the Markdown summary ------------------------------------------------------------------------
def markdown(results: dict[str, dict[str, Any]]) -> str:
    lines = ["# Causette performance suite: results", ""]
    lines.append(
        "Written by `python -m bench.perf` (docs/performance.md explains every column). Server "
        "pinned to core 0, generator to core 1; each load step is the median of its runs. "
        "*generator-limited*: the generator used ≥ 80 % of its core in that step, so the step "
        "measures the generator as much as the server: compare servers there by server µs/delivery."
    )
    lines.append("")
    for name, data in results.items():
        m = data.get("machine", {})
        c = data.get("config", {})
        lines.append(
            f"- `{name}`: {data.get('date', '?')}, {m.get('cpu', '?')} ({m.get('cpus')} cores), "
            f"load average {m.get('loadavg_at_start')} → {m.get('loadavg_at_end')}, "
            f"runs per step {c.get('runs')}, {c.get('duration')} s each{' (quick)' if c.get('quick') else ''}"
        )
    lines.append("")
    rows = evaluate(results)
    if rows:
        lines.append("## Targets")
        lines.append("")
        lines += _table(
            ["target", "goal", "measured", "status", "margin"],
            [[r["target"], r["goal"], r["measured"], r["status"], r["margin"]] for r in rows],
        )
    if "big-room" in results:
        lines += _big_room(results["big-room"])
    if "mix" in results:
        lines += _mix(results["mix"])
    if "idle" in results:
        lines += _idle(results["idle"])
    if "storm" in results:
        lines += _storm(results["storm"])
    if "safety" in results:
        lines += _safety(results["safety"])
    if "entry" in results:
        lines += _entry(results["entry"])
    return "\n".join(lines).rstrip() + "\n"


def _error_line(name: str, r: dict[str, Any]) -> list[str]:
    return [f"- {_label(name)}: **failed**: `{r['error'][:300]}`", ""]


def _knee_cells(r: dict[str, Any]) -> list[str]:
    k = r.get("knee") or {}
    clean = r.get("knee_server_limited") or {}
    return [
        _n(k.get("deliveries_per_s")),
        _n(clean.get("deliveries_per_s")),
        _n(k.get("p99_ms"), 1),
        _n(k.get("server_cpu_us_per_delivery"), 2),
        _pct(k.get("generator_cpu_share")),
        str(r.get("knee_limited_by", "–")),
    ]


def _big_room(data: dict[str, Any]) -> list[str]:
    lines = ["## 1. Big room", ""]
    lines.append(
        f"{data['config']['senders']} senders at a fixed rate each, phases staggered; the load is "
        "stepped up until p99 ≥ 100 ms or < 99.9 % delivered. Knee: the highest step that passed."
    )
    lines.append("")
    knees = []
    for name, t in data["targets"].items():
        for size, r in t.get("sizes", {}).items():
            if "error" in r:
                knees.append([size, _label(name), "failed", "", "", "", "", r["error"][:80]])
            else:
                knees.append([size, _label(name), *_knee_cells(r), _n(r.get("server_rss_mb_idle"))])
    knees.sort(key=lambda row: int(row[0]))
    lines += _table(
        [
            "members",
            "server",
            "knee deliveries/s",
            "server-limited knee",
            "p99 at knee ms",
            "server µs/delivery",
            "generator CPU",
            "limited by",
            "idle RSS MB",
        ],
        [[*row[:8], row[8] if len(row) > 8 else ""] for row in knees],
    )
    for name, t in data["targets"].items():
        for size, r in t.get("sizes", {}).items():
            lines.append(f"### {_label(name)}, {int(size):,} members")
            lines.append("")
            if "error" in r:
                lines += _error_line(name, r)
                continue
            lines += _steps_table(r["steps"], "offered_deliveries_per_s_step", "step (deliveries/s)")
    return lines


def _mix(data: dict[str, Any]) -> list[str]:
    lines = ["## 2. Realistic mix", ""]
    for name, r in data["targets"].items():
        if "error" in r:
            lines += _error_line(name, r)
            continue
        lines.append(
            f"### {_label(name)}: {r['connections']:,} connections, {r['rooms']} rooms "
            f"({r['room_sizes']['min']}–{r['room_sizes']['max']}), {r['private_pairs']:,} private pairs, "
            f"{r['deliveries_per_message']} deliveries per message"
        )
        lines.append("")
        knee = r.get("knee") or {}
        lines.append(
            f"Knee: {_n(knee.get('offered_msgs_per_s'))} messages/s = "
            f"{_n(knee.get('deliveries_per_s'))} deliveries/s (limited by {r.get('knee_limited_by')})."
        )
        lines.append("")
        lines += _steps_table(r["steps"], "offered_msgs_per_s", "messages/s")
    return lines


def _idle(data: dict[str, Any]) -> list[str]:
    lines = ["## 3. Idle connections", ""]
    rows = []
    for name, r in data["targets"].items():
        if "error" in r:
            rows.append([_label(name), "failed: " + r["error"][:100], *[""] * 8])
            continue
        rows.append(
            [
                _label(name),
                f"{_n(r['connected'])} / {_n(r['connections'])}",
                _n(r.get("connects_per_s")),
                _n(r.get("kb_per_connection"), 1),
                f"{_n(r.get('server_rss_mb_before'))} → {_n(r.get('server_rss_mb_after'))}",
                _n(r.get("server_cpu_us_per_connect"), 0),
                f"{_n(r['ping'].get('p50_ms'), 2)} / {_n(r['ping'].get('p99_ms'), 2)}",
                _pct(r.get("server_cpu_share_idle"), 1),
                _n(r.get("join_seconds"), 1),
                _n(r.get("still_connected")),
            ]
        )
    lines += _table(
        [
            "server",
            "connected",
            "connects/s",
            "KB/connection",
            "RSS MB",
            "server µs/connect",
            "ping p50 / p99 ms",
            "idle server CPU",
            "join s",
            "still open",
        ],
        rows,
    )
    return lines


def _storm(data: dict[str, Any]) -> list[str]:
    lines = ["## 4. Reconnect storm", ""]
    for name, r in data["targets"].items():
        if "skipped" in r:
            lines.append(f"- {_label(name)}: skipped ({r['skipped']})")
            continue
        if "error" in r:
            lines += _error_line(name, r)
            continue
        o = r.get("overall", {})
        rc = r.get("reconnect", {})
        groups = o.get("by_group", {})
        st, dr = groups.get("stayer", {}), groups.get("dropper", {})
        if r.get("note"):
            lines += [f"Note: {r['note']}", ""]
        lines += _table(
            [
                "server",
                "dropped",
                "all back s",
                "reconnect retries / failed",
                "lost",
                "duplicates",
                "reordered",
                "stayers p50 / p99 ms",
                "droppers p99 ms",
                "server CPU",
            ],
            [
                [
                    _label(name),
                    _n(r.get("dropped")),
                    _n(r.get("all_back_seconds"), 2),
                    f"{_n(rc.get('retries'))} / {_n(rc.get('failed'))}",
                    _n(o.get("lost")),
                    _n(o.get("duplicates")),
                    _n(o.get("reordered")),
                    f"{_n(st.get('p50_ms'), 1)} / {_n(st.get('p99_ms'), 1)}",
                    _n(dr.get("p99_ms"), 1),
                    _pct(o.get("server_cpu_share")),
                ]
            ],
        )
    lines.append("")
    return lines


def _safety(data: dict[str, Any]) -> list[str]:
    lines = ["## 5. Safety engine cost", "", f"Off: {data.get('safety_off', '?')}.", ""]
    rows = []
    for label, r in data["targets"].items():
        if "error" in r:
            rows.append([label, "failed", "", "", "", "", r["error"][:80]])
        else:
            rows.append([label, *_knee_cells(r)])
    head = [
        "safety",
        "knee deliveries/s",
        "server-limited knee",
        "p99 at knee ms",
        "server µs/delivery",
        "generator CPU",
        "limited by",
    ]
    lines += _table(head, rows)
    for label, r in data["targets"].items():
        if "steps" in r:
            lines.append(f"### Safety {label}, {r['members']:,} members")
            lines.append("")
            lines += _steps_table(r["steps"], "offered_deliveries_per_s_step", "step (deliveries/s)")
    return lines


def _entry(data: dict[str, Any]) -> list[str]:
    lines = ["## 6. Entry", ""]
    rows = []
    for name, r in data["targets"].items():
        if "error" in r:
            rows.append([_label(name), "failed", "", r["error"][:80]])
            continue
        runs = r.get("runs", [])
        what = runs[0].get("what", "") if runs else ""
        p99 = ", ".join(_n(x.get("p99_ms"), 1) for x in runs if x.get("p99_ms") is not None) or "–"
        per_run = ", ".join(_n(x.get("per_s")) for x in runs)
        rows.append([_label(name), _n(r.get("sessions_per_s")), per_run, p99, what])
    lines += _table(["server", "sessions/s (median)", "runs", "p99 ms per run", "what a session is"], rows)
    return lines


# --- plots ---------------------------------------------------------------------------------------
def draw_plots(out: Path, results: dict[str, dict[str, Any]]) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install -e '.[bench]'): no plots")
        return []
    written: list[Path] = []

    def curve(ax: Any, steps: list[dict[str, Any]], x: str, colour: str, label: str) -> None:
        pts = [s for s in steps if s.get("p99_ms") is not None]
        xs = [s[x] for s in pts]
        ax.plot(xs, [s["p99_ms"] for s in pts], "-o", color=colour, label=f"{label} p99", ms=4)
        ax.plot(xs, [s["p50_ms"] for s in pts], "--", color=colour, alpha=0.6, label=f"{label} p50")
        lim = [s for s in pts if s.get("generator_limited")]
        if lim:
            ax.plot([s[x] for s in lim], [s["p99_ms"] for s in lim], "x", color="black", ms=9)

    from matplotlib.ticker import FuncFormatter, LogLocator

    def kilo(ax: Any) -> None:
        """Log x axis labelled 20k, 50k, 100k… instead of 2×10⁴."""
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v >= 1000 else f"{v:g}"))

    def finish(ax: Any, xlabel: str, title: str) -> None:
        ax.axhline(100, color="gray", lw=0.8, ls=":")
        kilo(ax)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("latency, ms")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)

    big = results.get("big-room")
    if big:
        sizes = sorted({int(s) for t in big["targets"].values() for s in t.get("sizes", {})})
        if sizes:
            fig, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4.5), squeeze=False)
            fig2, axes2 = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4.0), squeeze=False)
            for k, size in enumerate(sizes):
                ax, ax2 = axes[0][k], axes2[0][k]
                for name, t in big["targets"].items():
                    r = t.get("sizes", {}).get(str(size), {})
                    if not r.get("steps"):
                        continue
                    colour = COLOURS.get(name, "black")
                    curve(ax, r["steps"], "offered_deliveries_per_s_step", colour, _label(name))
                    xs = [s["offered_deliveries_per_s_step"] for s in r["steps"]]
                    ys = [s.get("server_cpu_us_per_delivery") for s in r["steps"]]
                    ax2.plot(xs, ys, "-o", color=colour, label=_label(name), ms=4)
                finish(ax, "offered deliveries/s", f"Big room, {size:,} members (x: generator-limited)")
                kilo(ax2)
                ax2.set_xlabel("offered deliveries/s")
                ax2.set_ylabel("server CPU µs per delivery")
                ax2.set_title(f"Big room, {size:,} members")
                ax2.grid(True, which="both", alpha=0.3)
                ax2.legend(fontsize=7)
                ax2.set_ylim(bottom=0)
            for f, name in ((fig, "perf-big-room.png"), (fig2, "perf-big-room-cpu.png")):
                f.tight_layout()
                f.savefig(out / name, dpi=110)
                plt.close(f)
                written.append(out / name)
    for scenario, x, xlabel in (
        ("mix", "offered_deliveries_per_s", "offered deliveries/s"),
        ("safety", "offered_deliveries_per_s_step", "offered deliveries/s"),
    ):
        data = results.get(scenario)
        if not data:
            continue
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        drawn = False
        for name, r in data["targets"].items():
            if r.get("steps"):
                label = f"safety {name}" if scenario == "safety" else _label(name)
                curve(ax, r["steps"], x, COLOURS.get(name, "black"), label)
                drawn = True
        if drawn:
            title = "Big room, safety on/off"
            if scenario == "mix":
                title = "Realistic mix (Poisson, 20 % private)"
            finish(ax, xlabel, title)
            fig.tight_layout()
            fig.savefig(out / f"perf-{scenario}.png", dpi=110)
            written.append(out / f"perf-{scenario}.png")
        plt.close(fig)
    return written


def build(out: Path, plots: bool = True) -> Path:
    """Rewrite perf.md (and the plots) from every perf-*.json in `out`."""
    results = load(out)
    path = out / "perf.md"
    text = markdown(results)
    if plots:
        written = draw_plots(out, results)
        if written:
            text += "\n## Plots\n\n" + "\n".join(f"![{p.stem}]({p.name})" for p in written) + "\n"
    path.write_text(text)
    return path
