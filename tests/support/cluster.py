"""Nodes of a cluster for integration tests: `causette serve` processes sharing one fresh
PostgreSQL database and the local Redis (each cluster under its own key prefix)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis

from tests.conftest import _postgres_unavailable
from tests.support.server import PostgresDatabase, PostgresUnavailable, ServerProcess

REDIS_URL = os.environ.get("CAUSETTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis(url: str = REDIS_URL) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis required in CI: {exc}")
        pytest.skip(f"Redis unavailable: {exc}")
    finally:
        client.close()


@contextmanager
def fresh_database() -> Iterator[PostgresDatabase]:
    """A throwaway database on the local PostgreSQL, dropped after; missing PostgreSQL fails the
    test under CI=true and skips it otherwise."""
    try:
        database = PostgresDatabase().create()
    except PostgresUnavailable as exc:
        _postgres_unavailable(exc)
        raise
    try:
        yield database
    finally:
        database.drop()


@contextmanager
def cluster(
    tmp_path: Path,
    *,
    rate_limits: str = "off",
    env: dict[str, str | None] | None = None,
    names: tuple[str, ...] = ("a", "b"),
    redis_url: str | None = None,
    database_via: Callable[[str], str] | None = None,
) -> Iterator[tuple[ServerProcess, ...]]:
    """Nodes (two unless told) on one fresh PostgreSQL database and one Redis (its own channel
    prefix): the local one, or `redis_url`.

    `database_via` maps the database URL to the one the nodes are given, e.g. through a TCP
    proxy that a fault test can cut (tests/support/tcpproxy.py); the database is still created
    and dropped directly."""
    require_redis(redis_url or REDIS_URL)
    node_env: dict[str, str | None] = {
        "CAUSETTE_REDIS_URL": redis_url or REDIS_URL,
        "CAUSETTE_REDIS_PREFIX": f"test-{secrets.token_hex(4)}",
        **(env or {}),
    }
    with ExitStack() as stack:
        database = stack.enter_context(fresh_database())
        nodes = []
        node_database_url = database_via(database.url) if database_via else database.url
        for name in names:
            node = ServerProcess(
                tmp_path / name, database_url=node_database_url, env=node_env, rate_limits=rate_limits
            )
            # Both nodes sign tokens with one secret, as a cluster must.
            node.data_dir.mkdir(parents=True)
            (node.data_dir / "secret.key").write_text("cluster-secret-" + "x" * 40)
            nodes.append(stack.enter_context(node))
        yield tuple(nodes)
