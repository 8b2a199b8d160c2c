"""`causette serve --workers 2` (issue 8): one supervisor, two worker processes sharing the HTTP and
WebSocket ports (SO_REUSEPORT) on one fresh PostgreSQL database and the local Redis.

Which worker served a request: its `X-Causette-Node: <hostname>:<pid>` header. Which worker holds a
WebSocket: the process whose file descriptors hold the server end of that TCP connection (/proc), so
the gateway needs no change for the tests to see it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.client import ChatClient
from tests.support.cluster import REDIS_URL, fresh_database, require_redis
from tests.support.harness import Entrant, Harness, benign_text
from tests.support.server import (
    CAUSETTE_BIN,
    PostgresDatabase,
    ServerProcess,
    ServerStartError,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

HOSTNAME = socket.gethostname()
# Time for a restarted worker (a fresh interpreter loading the safety engine) on a loaded machine.
RESTART_TIMEOUT_S = 30.0


# -- processes ----------------------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    """Running (a zombie left to a PID 1 that does not reap counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def worker_pids(supervisor: int) -> set[int]:
    """The running children of the supervisor."""
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z" and int(fields[1]) == supervisor:
            pids.add(int(entry))
    return pids


def wait_worker_pids(supervisor: int, count: int, timeout: float = RESTART_TIMEOUT_S) -> set[int]:
    """Until the supervisor has `count` running workers: their pids."""
    deadline = time.monotonic() + timeout
    while len(pids := worker_pids(supervisor)) != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"supervisor {supervisor} has workers {pids}, not {count}")
        time.sleep(0.1)
    return pids


def _server_socket_inode(server_port: int, peer_port: int) -> int | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                rows = fh.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            ports = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16))
            if ports == (server_port, peer_port) and inode:
                return inode
    return None


def socket_owner(server: ServerProcess, client: ChatClient, pids: set[int]) -> int:
    """The worker (among `pids`) holding the server end of this client's WebSocket."""
    assert client._ws is not None
    peer_port = int(client._ws.local_address[1])
    inode = _server_socket_inode(server.ws_port, peer_port)
    assert inode is not None, f"no server socket for client port {peer_port}"
    wanted = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                    return pid
            except FileNotFoundError:
                continue
    raise AssertionError(f"no worker among {pids} holds {wanted}")


async def node_of_fresh_connection(server: ServerProcess) -> str:
    """X-Causette-Node of a GET over a new TCP connection (the kernel picks a worker per connection)."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10, trust_env=False) as http:
        resp = await http.get("/api/v1/config", headers={"Connection": "close"})
    assert resp.status_code == 200, resp.text
    return resp.headers["X-Causette-Node"]


async def wait_serving(server: ServerProcess, pid: int, timeout: float = RESTART_TIMEOUT_S) -> None:  # noqa: ASYNC109
    """Until a new HTTP connection lands on worker `pid` (it is up and listening)."""
    deadline = time.monotonic() + timeout
    while await node_of_fresh_connection(server) != f"{HOSTNAME}:{pid}":
        if time.monotonic() > deadline:
            raise AssertionError(f"worker {pid} never answered:\n{server.log_tail()}")
        await asyncio.sleep(0.02)


async def online_on(
    chat: Harness, server: ServerProcess, pid: int, prefix: str
) -> tuple[Entrant, ChatClient]:
    """Someone whose WebSocket landed on worker `pid` (sockets on the others are closed)."""
    pids = worker_pids(server.pid or 0)
    for _ in range(40):
        who, client = await chat.online(prefix)
        if socket_owner(server, client, pids) == pid:
            return who, client
        await client.close()
    raise AssertionError(f"40 sockets and none on worker {pid}")


# -- fixtures ----------------------------------------------------------------------------------------
@pytest.fixture
def database() -> Iterator[PostgresDatabase]:
    require_redis()
    with fresh_database() as db:
        yield db


def _workers_server(tmp_path: Path, database: PostgresDatabase, workers: int = 2) -> ServerProcess:
    env: dict[str, str | None] = {
        "CAUSETTE_REDIS_URL": REDIS_URL,
        "CAUSETTE_REDIS_PREFIX": f"test-{secrets.token_hex(4)}",
    }
    return ServerProcess(
        tmp_path / "server", database_url=database.url, env=env, extra_args=["--workers", str(workers)]
    )


@pytest.fixture
async def supervised(tmp_path: Path, database: PostgresDatabase) -> AsyncIterator[ServerProcess]:
    """`causette serve --workers 2`, both workers serving; afterwards no process of it is left."""
    server = _workers_server(tmp_path, database)
    pids: set[int] = set()
    try:
        await asyncio.to_thread(server.start)
        assert server.pid is not None
        pids = await asyncio.to_thread(wait_worker_pids, server.pid, 2)
        for pid in pids:  # HTTP is up last in a worker (web/server.py): its gateway listens too
            await wait_serving(server, pid)
        yield server
    finally:
        pids |= worker_pids(server.pid or 0)
        server.stop()
        for pid in pids:  # a safety net for a test that failed half-way
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


# -- tests -------------------------------------------------------------------------------------------
async def test_both_workers_serve_and_chatters_on_different_workers_hear_each_other(
    supervised: ServerProcess,
) -> None:
    pids = worker_pids(supervised.pid or 0)
    nodes = {await node_of_fresh_connection(supervised) for _ in range(24)}
    assert nodes == {f"{HOSTNAME}:{pid}" for pid in pids}, nodes

    async with Harness.on(supervised) as chat:
        sockets = [await chat.online("many") for _ in range(12)]
        owners = {socket_owner(supervised, client, pids) for _, client in sockets}
        assert owners == pids, f"12 WebSockets all on {owners}"
        await chat.close_all()

        first, second = sorted(pids)
        alice, a = await online_on(chat, supervised, first, "alice")
        bob, b = await online_on(chat, supervised, second, "bob")
        room = await chat.theme_room(alice)
        await chat.join(a, room)
        await chat.join(b, room)
        acks = await chat.say_many(a, room, [benign_text(f"depuis {first} {i}") for i in range(10)])
        for ack in acks:
            await b.expect("msg", conv=room, seq=ack["seq"], timeout=5)
        reply = await chat.say(b, room, benign_text(f"depuis {second}"))
        await a.expect("msg", conv=room, seq=reply["seq"], timeout=5)
        await b.expect_none("msg", conv=room, seq=acks[0]["seq"])  # exactly once
        # A private conversation across the two workers.
        conv = await chat.open_pm((alice, a), (bob, b), benign_text("bonjour"))
        said = await chat.say(b, conv, benign_text("en privé"))
        await a.expect("msg", conv=conv, seq=said["seq"], timeout=5)


async def test_a_killed_worker_is_restarted_and_its_clients_resume_on_the_other(
    supervised: ServerProcess,
) -> None:
    supervisor = supervised.pid or 0
    pids = worker_pids(supervisor)
    survivor, victim = sorted(pids)
    async with Harness.on(supervised) as chat:
        alice, a = await online_on(chat, supervised, survivor, "alice")
        bob, b = await online_on(chat, supervised, victim, "bob")
        room = await chat.theme_room(alice)
        await chat.join(a, room)
        await chat.join(b, room)
        first = await chat.say(a, room, benign_text("avant"))
        await b.expect("msg", conv=room, seq=first["seq"], timeout=5)

        os.kill(victim, signal.SIGKILL)
        acks = [await chat.say(a, room, benign_text(f"pendant {i}")) for i in range(10)]
        await b.wait_closed(timeout=5)
        seen = [f["seq"] for f in b.inbox if f.get("t") == "msg" and f.get("conv") == room]
        last = max([first["seq"], *seen])
        back = await chat.connect(bob, resume={room: last})  # lands on whichever worker listens
        await back.expect("resumed", timeout=10)
        resumed = [f["seq"] for f in back.inbox if f.get("t") == "msg" and f.get("conv") == room]
        assert seen + resumed == [ack["seq"] for ack in acks]

        # The supervisor started a new worker in the victim's place; it serves and chats.
        replaced = await asyncio.to_thread(wait_worker_pids, supervisor, 2)
        assert survivor in replaced and victim not in replaced, replaced
        (newcomer,) = replaced - {survivor}
        await wait_serving(supervised, newcomer)
        _chloe, c = await online_on(chat, supervised, newcomer, "chloe")
        await chat.join(c, room)
        hello = await chat.say(a, room, benign_text("bienvenue"))
        await c.expect("msg", conv=room, seq=hello["seq"], timeout=5)
        await back.expect("msg", conv=room, seq=hello["seq"], timeout=5)
    assert f"(pid {victim}) was killed by SIGKILL" in supervised.log_tail(200)


async def test_sigterm_to_the_supervisor_stops_every_worker_cleanly(supervised: ServerProcess) -> None:
    supervisor = supervised.pid or 0
    pids = worker_pids(supervisor)
    async with Harness.on(supervised) as chat:
        _alice, a = await chat.online("alice")
        started = time.monotonic()
        os.kill(supervisor, signal.SIGTERM)  # the supervisor alone, not its process group
        assert await a.wait_closed(timeout=10) == 1001  # going away
        assert supervised._proc is not None
        assert await asyncio.to_thread(supervised._proc.wait, 15) == 0
        elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed
    assert not any(_alive(pid) for pid in pids)
    with pytest.raises(httpx.ConnectError):
        await node_of_fresh_connection(supervised)
    assert "all workers stopped" in supervised.log_tail()


async def test_workers_die_with_a_supervisor_killed_by_sigkill(supervised: ServerProcess) -> None:
    supervisor = supervised.pid or 0
    pids = worker_pids(supervisor)
    os.kill(supervisor, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, f"workers {pids} outlived their supervisor"
        await asyncio.sleep(0.1)
    with pytest.raises(httpx.ConnectError):
        await node_of_fresh_connection(supervised)


async def test_a_taken_port_makes_the_supervisor_give_up_with_exit_code_2(
    tmp_path: Path, database: PostgresDatabase
) -> None:
    server = _workers_server(tmp_path, database)
    server.retry_taken_ports = False
    with socket.socket() as squatter:  # an ordinary listener (no SO_REUSEPORT) on the WebSocket port
        squatter.bind((server.host, server.ws_port))
        squatter.listen()
        started = time.monotonic()
        with pytest.raises(ServerStartError, match="exited with 2"):
            server.start()
    assert time.monotonic() - started < 30
    log = server.log_path.read_text()
    assert "address already in use" in log, log[-3000:]
    assert "cannot start as configured" in log
    assert not worker_pids(server.pid or 0)
    server.stop()


def test_workers_refuse_sqlite_before_starting_anything(tmp_path: Path) -> None:
    command = [str(CAUSETTE_BIN), "serve", "--workers", "2", "--data-dir", str(tmp_path)]
    done = subprocess.run(
        [*command, "--redis-url", REDIS_URL],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("CAUSETTE_")},
    )
    assert done.returncode == 2, done.stderr
    assert "--workers 2 needs a shared --database-url (PostgreSQL) and --redis-url" in done.stderr
