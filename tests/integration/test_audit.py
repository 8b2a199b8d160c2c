"""The audit chain in the real database (SQLite and PostgreSQL) and `causette audit verify`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, update

from causette.moderation.audit import AuditLog
from causette.store import Store
from causette.store.tables import audit_log
from tests.support.server import ServerProcess

CAUSETTE = Path(sys.executable).with_name("causette")


def _verify(server: ServerProcess) -> subprocess.CompletedProcess[str]:
    args = [str(CAUSETTE), "audit", "verify", *server.storage_args]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


async def test_audit_verify_passes_on_an_intact_chain_and_names_the_first_bad_entry(
    fresh_server: ServerProcess,
) -> None:
    store = Store.open(fresh_server.store_url)
    try:
        log = AuditLog(store.audit)
        for i in range(6):
            await log.record("mod:alice", "timeout", f"user:u{i}", {"minutes": 10 + i})
        ok = _verify(fresh_server)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "6 entries" in ok.stdout

        async with store.engine.begin() as conn:
            await conn.execute(update(audit_log).where(audit_log.c.seq == 4).values(target="user:other"))
        broken = _verify(fresh_server)
        assert broken.returncode == 1
        assert "entry 4" in broken.stdout

        async with store.engine.begin() as conn:
            await conn.execute(delete(audit_log).where(audit_log.c.seq >= 4))
        truncated = _verify(fresh_server)
        assert truncated.returncode == 1
        assert "entry 4" in truncated.stdout
    finally:
        await store.engine.dispose()
