"""Fixtures of the integration suite: real `causette serve` processes on both storage backends.

- `backend`: "sqlite" and "postgres" (the latter marked `postgres`); every integration test runs
  on both.
- `server`: one shared process per backend for the whole session, with `CAUSETTE_RATE_LIMITS=off`
  so that a fast suite never trips the per-address entry limit or the per-connection frame rate.
  Tests share it, so each one makes its own people (unique pseudonyms) and, where it counts
  messages, its own private room.
- `fresh_server`: a process of its own for one test (restarts, crashes), on a fresh data dir or
  database.
- `dedicated_server`: a factory for a module-scoped process with other settings (the entry rate
  limit, a 1-second session TTL).
- `http`: an httpx.AsyncClient on the shared server; `chat`: a Harness on it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.harness import Harness
from tests.support.server import PostgresUnavailable, ServerProcess, running_server

# Settings of the shared servers. The private-room cap is lowered so that the cap itself can be
# tested with three people instead of twenty.
SHARED_PRIVATE_ROOM_CAP = 3
SHARED_SERVER_ENV: dict[str, str | None] = {"CAUSETTE_PRIVATE_ROOM_CAP": str(SHARED_PRIVATE_ROOM_CAP)}

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_unavailable(exc: PostgresUnavailable) -> None:
    # CI promises a PostgreSQL server: there, its absence is a failure, not a reason to skip.
    if os.environ.get("CI") == "true":
        pytest.fail(f"postgres backend required in CI: {exc}")
    pytest.skip(f"postgres backend unavailable: {exc}")


def _start(
    stack: ExitStack,
    backend: str,
    data_dir: Path,
    *,
    rate_limits: str | None = "off",
    env: dict[str, str | None] | None = None,
) -> ServerProcess:
    try:
        return stack.enter_context(running_server(backend, data_dir, rate_limits=rate_limits, env=env))
    except PostgresUnavailable as exc:
        _postgres_unavailable(exc)
        raise  # unreachable: skip/fail raise


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with ExitStack() as stack:
        yield _start(stack, backend, tmp_path_factory.mktemp(f"shared-{backend}"), env=SHARED_SERVER_ENV)


@pytest.fixture
def fresh_server(backend: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with ExitStack() as stack:
        yield _start(stack, backend, tmp_path / "server", env=SHARED_SERVER_ENV)


DedicatedServer = Callable[..., ServerProcess]


@pytest.fixture(scope="module")
def dedicated_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DedicatedServer]:
    """Start servers with other settings, kept until the module ends: `dedicated_server(name, ...)`.

    The same name asked twice in one module gets the same process.
    """
    started: dict[str, ServerProcess] = {}
    with ExitStack() as stack:

        def start(
            name: str, *, rate_limits: str | None = "off", env: dict[str, str | None] | None = None
        ) -> ServerProcess:
            if name not in started:
                data_dir = tmp_path_factory.mktemp(f"{name}-{backend}")
                started[name] = _start(stack, backend, data_dir, rate_limits=rate_limits, env=env)
            return started[name]

        yield start


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False) as client:
        yield client


@pytest.fixture
async def chat(server: ServerProcess, http: httpx.AsyncClient) -> AsyncIterator[Harness]:
    harness = Harness(server, http)
    yield harness
    await harness.close_all()


@pytest.fixture
async def fresh_chat(fresh_server: ServerProcess) -> AsyncIterator[Harness]:
    async with httpx.AsyncClient(base_url=fresh_server.base_url, timeout=10, trust_env=False) as client:
        harness = Harness(fresh_server, client)
        yield harness
        await harness.close_all()
