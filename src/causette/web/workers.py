"""`causette serve --workers N`: one supervisor and N worker processes on one machine.

Each worker is the ordinary single-node server (`web/server.py`), a node of the cluster with its
own Redis connections and node id (host-pid), started as `python -m causette.cli serve <the same
arguments> --worker-of <supervisor pid>`. The workers bind the same HTTP and WebSocket ports with
SO_REUSEPORT, so the kernel spreads new connections over them. The supervisor migrates the database
and makes the data directory's keys once, before any worker starts (`cli.py`); after that it only
starts, watches and stops processes: it opens no socket and holds no chat state.

- SIGTERM or SIGINT to the supervisor is forwarded to every worker, which closes its sockets (1001)
  and flushes its store; the supervisor waits for them (SIGKILL after STOP_TIMEOUT_S) and exits 0.
  A second signal stops the wait and kills them.
- A worker that exits on its own is started again, after a backoff that doubles while its
  replacements keep failing to start; MAX_FAILED_STARTS failed starts in a row is a crash loop and
  the supervisor stops everything and exits 1. A first start that exits 2 (the port is taken, Redis
  is unreachable: retrying will not help) stops everything at once with exit code 2, as a single
  `causette serve` would.
- A worker dies with its supervisor, even one killed with SIGKILL: `die_with_parent`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger(__name__)

# A worker that exits sooner than this after its start failed to start: its restart backs off.
# One that lived longer crashed, and is started again after FIRST_BACKOFF_S.
MIN_UPTIME_S = 10.0
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
MAX_FAILED_STARTS = 5
# Workers close their sockets (1001) and flush their store on SIGTERM; past this they get SIGKILL.
STOP_TIMEOUT_S = 10.0
POLL_S = 0.1
# What `causette` exits with when it cannot run as configured (cli.py).
EXIT_USAGE = 2

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(slots=True)
class _Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failed_starts: int = 0
    ever_up: bool = False  # a worker of this slot lived MIN_UPTIME_S
    restart_at: float = 0.0


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Supervisor:
    """Runs `command` N times and keeps N copies running until told to stop."""

    def __init__(
        self,
        command: Sequence[str],
        workers: int,
        *,
        min_uptime_s: float = MIN_UPTIME_S,
        first_backoff_s: float = FIRST_BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        max_failed_starts: int = MAX_FAILED_STARTS,
        stop_timeout_s: float = STOP_TIMEOUT_S,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be positive")
        self.command = list(command)
        self.slots = [_Slot(i + 1) for i in range(workers)]
        self.min_uptime_s = min_uptime_s
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_failed_starts = max_failed_starts
        self.stop_timeout_s = stop_timeout_s
        self._stop_signal: int | None = None
        self._force = False

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.slots if s.proc is not None and s.proc.poll() is None]

    def run(self) -> int:
        """Start the workers, watch them until a signal or a crash loop; the exit code."""
        handled = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        code = 1
        try:
            log.info("supervisor (pid %d) starting %d workers", os.getpid(), len(self.slots))
            for slot in self.slots:
                if self._stop_signal is None:
                    self._start(slot)
            code = self._watch()
        finally:
            self._stop_all(self._stop_signal or signal.SIGTERM)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop: `sig` goes to every worker and run() returns 0 once they are gone. A second call
        stops the wait and kills them. Safe from a signal handler or another thread."""
        if self._stop_signal is None:
            self._stop_signal = sig
        else:
            self._force = True  # a second Ctrl-C: do not wait for the workers

    # -- internals ----------------------------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop(signum)

    def _start(self, slot: _Slot) -> None:
        slot.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL)
        slot.started = time.monotonic()
        log.info("worker %d started (pid %d)", slot.index, slot.proc.pid)

    def _watch(self) -> int:
        while self._stop_signal is None:
            now = time.monotonic()
            for slot in self.slots:
                if slot.proc is None:
                    if now >= slot.restart_at and self._stop_signal is None:
                        self._start(slot)
                    continue
                code = slot.proc.poll()
                if code is not None:
                    verdict = self._exited(slot, code, now)
                    if verdict is not None:
                        return verdict
            time.sleep(POLL_S)
        log.info("supervisor: %s received", signal.Signals(self._stop_signal).name)
        return 0

    def _exited(self, slot: _Slot, code: int, now: float) -> int | None:
        """Schedule the restart of a worker that exited by itself; an exit code to give up with."""
        assert slot.proc is not None
        pid, uptime = slot.proc.pid, now - slot.started
        slot.proc = None
        log.warning("worker %d (pid %d) %s after %.1f s", slot.index, pid, _describe(code), uptime)
        if uptime >= self.min_uptime_s:
            slot.ever_up = True
            slot.failed_starts = 0
        else:
            slot.failed_starts += 1
            if code == EXIT_USAGE and not slot.ever_up:
                log.error("worker %d cannot start as configured (exit code 2): stopping", slot.index)
                return EXIT_USAGE
            if slot.failed_starts >= self.max_failed_starts:
                log.error(
                    "worker %d failed to start %d times in a row: stopping", slot.index, slot.failed_starts
                )
                return 1
        delay = min(self.first_backoff_s * 2**slot.failed_starts, self.max_backoff_s)
        slot.restart_at = now + delay
        log.info("worker %d restarts in %.1f s", slot.index, delay)
        return None

    def _stop_all(self, sig: int) -> None:
        live = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        if live:
            log.info("stopping %d workers (%s)", len(live), signal.Signals(sig).name)
        for proc in live:
            _send(proc, sig)
        deadline = time.monotonic() + self.stop_timeout_s
        while not self._force and time.monotonic() < deadline:
            if all(proc.poll() is not None for proc in live):
                break
            time.sleep(POLL_S)
        for proc in live:
            if proc.poll() is None:
                log.warning("worker pid %d did not stop in time: SIGKILL", proc.pid)
                proc.kill()
            proc.wait()
        for slot in self.slots:
            slot.proc = None
        if live:
            log.info("all workers stopped")


def _send(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass


def die_with_parent(parent_pid: int) -> None:
    """In a worker, first thing: get SIGTERM (a graceful stop) when the supervisor dies.

    On Linux the kernel sends it (prctl PR_SET_PDEATHSIG), even when the supervisor was killed
    with SIGKILL. A thread also checks the parent every second (other systems, and a supervisor
    that died before the prctl), and ends the process STOP_TIMEOUT_S after the SIGTERM if it is
    still there.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            log.warning("prctl(PR_SET_PDEATHSIG) unavailable: watching the supervisor by polling")
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="causette-supervisor-watch", daemon=True
    ).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    log.warning("the supervisor (pid %d) is gone: stopping", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(STOP_TIMEOUT_S)
    os._exit(1)
