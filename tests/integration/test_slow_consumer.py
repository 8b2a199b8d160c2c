"""A socket that stops reading is closed (1013) once its send queue is full; the room goes on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from urllib.parse import urlsplit

from tests.conftest import DedicatedServer
from tests.support.harness import Harness, text_of_length


def _masked_text_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    header = bytes([0x81])
    n = len(payload)
    header += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _stalled_socket(ws_url: str, token: str, room: str) -> socket.socket:
    """A WebSocket opened by hand, which joins `room` and then never reads again."""
    url = urlsplit(ws_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((url.hostname, url.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {url.path}?token={token} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: causette.v1\r\n\r\n"
        ).encode()
    )
    assert b" 101 " in sock.recv(4096).split(b"\r\n", 1)[0]
    sock.sendall(_masked_text_frame(b'{"t":"hello","resume":{}}'))
    sock.sendall(_masked_text_frame(json.dumps({"t": "join", "room": room}).encode()))
    await asyncio.sleep(0.3)
    return sock


def _reads_to_the_end(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        while sock.recv(1 << 20):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


async def test_a_socket_that_stops_reading_is_closed_and_the_room_is_not_stalled(
    dedicated_server: DedicatedServer,
) -> None:
    # 512 KiB: small enough for the stalled socket to pass it, large enough that a reader in a
    # busy test process (it shares the CPU with the sender) is never mistaken for a slow one.
    small = dedicated_server("small-send-queue", env={"CAUSETTE_SEND_QUEUE_BYTES": "524288"})
    async with Harness.on(small) as h:
        owner, owner_ws = await h.online("owner")
        room = await h.create_room(owner, "Salon lent")
        reader, reader_ws = await h.online("reader")
        slow = await h.user("slow")
        for who in (reader, slow):
            assert (await h.invite(owner, room["id"], who)).status_code == 201
        await h.join(owner_ws, room["id"])
        await h.join(reader_ws, room["id"])
        stalled = await _stalled_socket(small.ws_url, slow.token, room["id"])
        try:
            # ~1.9 KB frames: 7.6 MB, more than the 512 KiB queue plus what the kernel buffers (≤ 4 MB).
            # Numbered from 2000: no number there is a code a safety lexicon knows (1488 is one).
            texts = [f"{i:04d} " + text_of_length(1900) for i in range(2000, 6000)]
            # In batches, each acknowledged before the next, so that the sender and the reader
            # (which read as they go) never fall behind: only the stalled socket does.
            acks = []
            for start in range(0, len(texts), 100):
                acks += await h.say_many(owner_ws, room["id"], texts[start : start + 100])
                await reader_ws.expect("msg", conv=room["id"], seq=acks[-1]["seq"], timeout=10)
            assert len(acks) == len(texts)
            # The server dropped the socket: reading what it had buffered ends in EOF or a reset,
            # not in a wait for more.
            assert await asyncio.to_thread(_reads_to_the_end, stalled)
            members = (await h.room(owner, room["id"])) or {}
            assert members.get("members", 0) == 2
        finally:
            stalled.close()
