"""The real `causette serve` process, started over real sockets for integration tests.

`ServerProcess` runs the installed `causette` command in its own process group, on two free
consecutive ports (HTTP on P, the WebSocket gateway on P + 1), and waits until
`GET /api/v1/config` answers. `PostgresDatabase` makes a throwaway database on the local
PostgreSQL server for the `postgres` backend. The server migrates its database itself on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
CAUSETTE_BIN = Path(sys.executable).with_name("causette")
if not CAUSETTE_BIN.exists():
    CAUSETTE_BIN = ROOT / ".venv" / "bin" / "causette"

# How long a server may take to answer its first request. Startup includes migrations, which on a
# fresh PostgreSQL database take a second or two; 20 s leaves room for a loaded CI machine.
START_TIMEOUT_S = 20.0
# After SIGTERM the server drains its sockets (close 1001) and flushes the store; past this it is
# considered hung and gets SIGKILL.
STOP_GRACE_S = 5.0
LOG_TAIL_LINES = 40

POSTGRES_ADMIN_URL = os.environ.get(
    "CAUSETTE_TEST_POSTGRES_ADMIN_URL", "postgresql://root@127.0.0.1:5432/test"
)


class ServerStartError(RuntimeError):
    """The server exited or did not answer in time; the message carries the end of its log."""


class PostgresUnavailable(RuntimeError):
    """The local PostgreSQL server could not be reached."""


def free_port_pair(host: str = "127.0.0.1", attempts: int = 50) -> int:
    """A port P such that P and P + 1 are both free right now."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as first:
            first.bind((host, 0))
            port = int(first.getsockname()[1])
            if port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second:
                try:
                    second.bind((host, port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no two free consecutive ports found")


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class ServerProcess:
    """One `causette serve` process. `restart()` keeps its ports, data dir and database."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        rate_limits: str | None = "off",
        env: Mapping[str, str | None] | None = None,
        host: str = "127.0.0.1",
        extra_args: Sequence[str] = (),
    ) -> None:
        self.data_dir = Path(data_dir)
        self.extra_args = list(extra_args)  # more `causette serve` options, e.g. ["--workers", "2"]
        self.database_url = database_url
        self.host = host
        self.port = free_port_pair(host)
        self.ws_port = self.port + 1
        self.base_url = f"http://{host}:{self.port}"
        self.log_path = self.data_dir / "server.log"
        self.ws_url = ""
        self.config: dict[str, Any] = {}
        self._env_overrides: dict[str, str | None] = {"CAUSETTE_RATE_LIMITS": rate_limits}
        self._env_overrides.update(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_once = False  # later starts (restart) must keep the ports clients know
        # Try other ports when the chosen ones were taken meanwhile (off for a test that takes
        # one on purpose).
        self.retry_taken_ports = True

    # -- life cycle ---------------------------------------------------------------------------------
    @property
    def store_url(self) -> str:
        """The database this server uses, for tests that open the project's own Store on it."""
        return self.database_url or f"sqlite:///{self.data_dir / 'causette.db'}"

    @property
    def storage_args(self) -> list[str]:
        """The `causette` CLI options that point at this server's storage."""
        args = ["--data-dir", str(self.data_dir)]
        return args + (["--database-url", self.database_url] if self.database_url else [])

    def start(self) -> ServerProcess:
        """Start the server. Its ports were free when chosen, but another process (a client's
        ephemeral port) may take one before the server binds it: a first start that fails with
        "address already in use" is tried again on new ports."""
        for attempt in range(3):
            try:
                return self._start()
            except ServerStartError as exc:
                retry = self.retry_taken_ports and not self._started_once and attempt < 2
                if not retry or "address already in use" not in str(exc):
                    raise
                self.port = free_port_pair(self.host)
                self.ws_port = self.port + 1
                self.base_url = f"http://{self.host}:{self.port}"
        raise AssertionError("unreachable")

    def _start(self) -> ServerProcess:
        if self.running:
            raise RuntimeError("server already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(CAUSETTE_BIN), "serve",
            "--host", self.host,
            "--port", str(self.port),
            "--ws-port", str(self.ws_port),
            "--data-dir", str(self.data_dir),
        ]  # fmt: skip
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        cmd += self.extra_args
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self._environment(),
                cwd=self.data_dir,
                start_new_session=True,  # its own process group: stop() and kill() reach every child
            )
        try:
            self._wait_ready()
        except BaseException:
            self._signal(signal.SIGKILL)
            self._reap(STOP_GRACE_S)
            raise
        self._started_once = True
        return self

    def stop(self) -> int | None:
        """SIGTERM (a graceful shutdown), then SIGKILL after STOP_GRACE_S. Returns the exit code."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
        return self._reap(STOP_GRACE_S)

    def kill(self) -> int | None:
        """SIGKILL: a crash. Nothing is flushed, nothing is closed cleanly."""
        if self._proc is None:
            return None
        self._signal(signal.SIGKILL)
        return self._reap(STOP_GRACE_S)

    def restart(self, *, crash: bool = False) -> ServerProcess:
        """Stop (or kill, when `crash`) and start again on the same ports, data dir and database."""
        if crash:
            self.kill()
        else:
            self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        if not self.database_url:
            env.pop("CAUSETTE_DATABASE_URL", None)  # sqlite: the data dir alone decides
        for key, value in self._env_overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def _reap(self, timeout: float) -> int | None:
        assert self._proc is not None
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        last_error = "no answer yet"
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while True:
                code = self._proc.poll()
                if code is not None:
                    raise ServerStartError(
                        f"causette serve exited with {code} before answering:\n{self.log_tail()}"
                    )
                try:
                    resp = http.get(f"{self.base_url}/api/v1/config")
                    if resp.status_code == 200:
                        self.config = resp.json()
                        self.ws_url = self._absolute_ws_url(str(self.config.get("ws_url") or ""))
                        if _port_open(self.host, self.ws_port):
                            return
                        last_error = f"HTTP answers but the WebSocket port {self.ws_port} is closed"
                    else:
                        last_error = f"GET /api/v1/config -> {resp.status_code} {resp.text[:200]}"
                except (httpx.HTTPError, ValueError) as exc:
                    last_error = repr(exc)
                if time.monotonic() > deadline:
                    raise ServerStartError(
                        f"causette serve did not answer within {START_TIMEOUT_S:.0f} s "
                        f"({last_error}):\n{self.log_tail()}"
                    )
                time.sleep(0.05)

    def _absolute_ws_url(self, ws_url: str) -> str:
        if not ws_url:
            return f"ws://{self.host}:{self.ws_port}/ws"
        if ws_url.startswith("/"):
            return f"ws://{self.host}:{self.ws_port}{ws_url}"
        return ws_url


# -- PostgreSQL -----------------------------------------------------------------------------------------
def _run_async(coro: Any) -> Any:
    """Run a coroutine to completion on a private loop in a worker thread.

    Fixtures may run while the test session's event loop exists; a private thread keeps the two
    apart whatever the loop state is.
    """
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, name="postgres-admin")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


class PostgresDatabase:
    """A fresh database `causette_test_<random>` on the local server, dropped by `drop()`."""

    def __init__(self, admin_url: str = POSTGRES_ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.name = f"causette_test_{secrets.token_hex(6)}"
        base, _, _ = admin_url.rpartition("/")
        self.url = f"{base}/{self.name}"

    def create(self) -> PostgresDatabase:
        async def create() -> None:
            import asyncpg  # type: ignore[import-untyped]

            try:
                conn = await asyncpg.connect(self.admin_url, timeout=5)
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                raise PostgresUnavailable(f"PostgreSQL unreachable at {self.admin_url}: {exc!r}") from exc
            try:
                await conn.execute(f'CREATE DATABASE "{self.name}"')
            finally:
                await conn.close()

        _run_async(create())
        return self

    def drop(self) -> None:
        async def drop() -> None:
            import asyncpg

            conn = await asyncpg.connect(self.admin_url, timeout=5)
            try:
                # WITH (FORCE) (PostgreSQL 13+) ends the connections a killed server left behind.
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await conn.close()

        _run_async(drop())


@contextlib.contextmanager
def running_server(
    backend: str,
    data_dir: Path,
    *,
    rate_limits: str | None = "off",
    env: Mapping[str, str | None] | None = None,
) -> Iterator[ServerProcess]:
    """A started server on `backend` ("sqlite" or "postgres"), stopped and cleaned up on exit.

    Raises PostgresUnavailable when the postgres backend cannot reach its server.
    """
    database: PostgresDatabase | None = None
    if backend == "postgres":
        database = PostgresDatabase().create()
    elif backend != "sqlite":
        raise ValueError(f"unknown backend {backend!r}")
    server = ServerProcess(
        data_dir,
        database_url=database.url if database else None,
        rate_limits=rate_limits,
        env=env,
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if database is not None:
            database.drop()
