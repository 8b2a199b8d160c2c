"""`causette serve --workers N` without servers: the refusals of the CLI, and the supervisor's
restart, crash-loop and stop rules on stand-in worker commands (tiny Python scripts)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from causette.cli import main
from causette.web.workers import Supervisor


@pytest.fixture(autouse=True)
def _no_causette_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CAUSETTE_"):
            monkeypatch.delenv(name)


# -- the CLI --------------------------------------------------------------------------------------------
def test_workers_on_sqlite_are_refused_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--workers", "2", "--data-dir", str(tmp_path), "--redis-url", "redis://x"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--workers 2 needs a shared --database-url (PostgreSQL) and --redis-url" in err
    assert not (tmp_path / "causette.db").exists()  # refused before migrating anything


def test_workers_without_redis_are_refused_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["serve", "--workers", "3", "--data-dir", str(tmp_path), "--database-url", "postgresql://u@h/db"]
    )
    assert code == 2
    assert "--workers 3 needs" in capsys.readouterr().err


def test_workers_come_from_the_environment_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAUSETTE_WORKERS", "2")
    assert main(["serve", "--data-dir", str(tmp_path)]) == 2
    assert "--workers 2 needs" in capsys.readouterr().err


def test_zero_workers_is_a_settings_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0", "--data-dir", str(tmp_path)]) == 2
    assert "workers must be positive" in capsys.readouterr().err


# -- the supervisor ---------------------------------------------------------------------------------------
def _script(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _stop_later(supervisor: Supervisor, after: float) -> threading.Timer:
    timer = threading.Timer(after, supervisor.stop)
    timer.start()
    return timer


def test_a_crash_loop_at_start_gives_up_with_exit_code_1() -> None:
    supervisor = Supervisor(
        _script("raise SystemExit(1)"), 2, first_backoff_s=0.05, max_backoff_s=0.1, max_failed_starts=3
    )
    timer = _stop_later(supervisor, 30)  # a safety net: the test fails rather than hangs
    started = time.monotonic()
    try:
        assert supervisor.run() == 1
    finally:
        timer.cancel()
    assert time.monotonic() - started < 20
    assert supervisor.pids == []


def test_a_first_start_exiting_2_gives_up_at_once_with_exit_code_2(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    code = f"open({str(runs)!r}, 'a').write('x'); raise SystemExit(2)"
    supervisor = Supervisor(_script(code), 1, first_backoff_s=0.05)
    timer = _stop_later(supervisor, 30)
    try:
        assert supervisor.run() == 2
    finally:
        timer.cancel()
    assert runs.read_text() == "x"  # not retried: the port is taken, Redis is down


def test_a_worker_that_exits_is_started_again_and_stop_forwards_sigterm(tmp_path: Path) -> None:
    """Worker 1 exits after a while (restarted each time); worker 2 runs until its SIGTERM."""
    log = tmp_path / "log"
    code = f"""
import os, signal, sys, time
def note(what):
    with open({str(log)!r}, 'a') as fh:
        fh.write(f"{{os.getpid()}} {{what}}\\n")
def on_term(signum, frame):
    note("term")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
note("start")
if sum(1 for line in open({str(log)!r}) if line.endswith(" start\\n")) <= 3:
    time.sleep(0.3)
    note("exit")
else:
    note("long")
    time.sleep(60)
"""
    supervisor = Supervisor(_script(code), 2, min_uptime_s=0.2, first_backoff_s=0.05)
    done: list[int] = []

    def wait_and_stop() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            lines = log.read_text().splitlines() if log.exists() else []
            long_lived = {int(line.split()[0]) for line in lines if line.endswith(" long")}
            pids = supervisor.pids
            if len(pids) == 2 and set(pids) <= long_lived:
                break
            time.sleep(0.05)
        done.append(1)
        supervisor.stop()

    stopper = threading.Thread(target=wait_and_stop)
    stopper.start()
    assert supervisor.run() == 0
    stopper.join()
    assert done
    lines = log.read_text().splitlines()
    starts = [line.split()[0] for line in lines if line.endswith(" start")]
    exits = [line.split()[0] for line in lines if line.endswith(" exit")]
    terms = [line.split()[0] for line in lines if line.endswith(" term")]
    assert len(starts) >= 4 and len(set(starts)) == len(starts)  # restarts are new processes
    assert exits, lines  # some exited by themselves and were replaced
    assert len(terms) == 2, lines  # the two running at the end got SIGTERM
    assert supervisor.pids == []
