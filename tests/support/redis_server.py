"""A Redis server of a test's own: a `redis-server` process on a free port that the test may kill and
start again (fault tests), without touching the shared Redis that other tests use.

No persistence (`--save "" --appendonly no`): a restart comes back empty, like a Redis that lost
its memory. `start()` returns once the server answers PING.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

REDIS_SERVER_BIN = os.environ.get("CAUSETTE_TEST_REDIS_SERVER", "/usr/bin/redis-server")
# How long a fresh redis-server may take to answer PING (a loaded CI machine is slow to fork).
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


def require_redis_server() -> str:
    """The redis-server binary; a failure under CI=true (CI promises one), else a skip."""
    found = REDIS_SERVER_BIN if os.access(REDIS_SERVER_BIN, os.X_OK) else shutil.which("redis-server")
    if not found:
        message = f"redis-server not found (looked for {REDIS_SERVER_BIN} and on PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"redis-server required in CI: {message}")
        pytest.skip(message)
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One `redis-server` process. `restart()` keeps its port, so clients reconnect to it."""

    def __init__(self, work_dir: Path, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.binary = require_redis_server()
        self.work_dir = Path(work_dir)
        self.host = host
        self.port = port or free_port(host)
        self.log_path = self.work_dir / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> RedisServer:
        if self.running:
            raise RuntimeError("redis-server already running")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            self.binary,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.work_dir),
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.work_dir
            )
        try:
            self._wait_ping()
        except BaseException:
            self.kill()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM (Redis closes its clients and exits), SIGKILL if it lingers."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash. The kernel resets every client connection."""
        self._end(signal.SIGKILL)

    def restart(self, *, crash: bool = True) -> RedisServer:
        if crash:
            self.kill()
        else:
            self.stop()
        return self.start()

    def ping(self) -> bool:
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()

    # -- internals ----------------------------------------------------------------------------------
    def _end(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(STOP_TIMEOUT_S)

    def _wait_ping(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.ping():
            code = self._proc.poll()
            if code is not None:
                raise RuntimeError(f"redis-server exited with {code}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server did not answer PING within {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.05)
