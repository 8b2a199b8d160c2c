"""Moderator accounts (`causette moderator add`, argon2, TOTP, lockout) on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from causette.chat.tokens import load_secret
from causette.moderation.accounts import MAX_FAILED_LOGINS, AccountError, Accounts, SecretBox
from causette.moderation.audit import AuditLog
from causette.store import Store
from tests.support.server import ServerProcess

CAUSETTE = Path(sys.executable).with_name("causette")
PASSWORD = "un mot de passe assez long"


def _add(
    server: ServerProcess, name: str, password: str, role: str = "moderator"
) -> subprocess.CompletedProcess[str]:
    args = [str(CAUSETTE), "moderator", "add", name, "--role", role, "--password-stdin", *server.storage_args]
    return subprocess.run(
        args, input=password + "\n", capture_output=True, text=True, timeout=60, check=False
    )


def _secret(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["secret"][0]


async def test_moderator_add_prints_a_totp_uri_and_the_account_logs_in_with_password_and_code(
    fresh_server: ServerProcess,
) -> None:
    done = _add(fresh_server, "alice", PASSWORD, "admin")
    assert done.returncode == 0, done.stderr
    uri = next(line for line in done.stdout.splitlines() if line.startswith("otpauth://totp/"))
    assert "issuer=Causette" in uri
    assert _add(fresh_server, "alice", PASSWORD).returncode == 2  # names are unique
    assert _add(fresh_server, "bob", "court").returncode == 2  # weak password refused

    store = Store.open(fresh_server.store_url)
    try:
        audit = AuditLog(store.audit)
        accounts = Accounts(store.moderators, audit, SecretBox(load_secret("", str(fresh_server.data_dir))))
        row = await store.moderators.by_name("alice")
        assert row is not None and row.password_hash.startswith("$argon2")
        assert PASSWORD not in row.password_hash
        # The TOTP secret is sealed with the server secret, which lives outside the database.
        assert row.totp_secret.startswith(SecretBox.PREFIX) and _secret(uri) not in row.totp_secret
        with pytest.raises(AccountError, match="sealed"):
            await Accounts(store.moderators, audit).login("alice", PASSWORD, pyotp.TOTP(_secret(uri)).now())
        code = pyotp.TOTP(_secret(uri)).now()
        moderator = await accounts.login("alice", PASSWORD, code)
        assert (moderator.name, moderator.role) == ("alice", "admin")
        with pytest.raises(AccountError, match="wrong"):
            await accounts.login("alice", "mauvais mot de passe", code)
        with pytest.raises(AccountError, match="wrong"):
            await accounts.login("alice", PASSWORD, "000000" if code != "000000" else "111111")
        for _ in range(MAX_FAILED_LOGINS):
            with pytest.raises(AccountError):
                await accounts.login("alice", "mauvais mot de passe", code)
        with pytest.raises(AccountError, match="too many"):
            await accounts.login("alice", PASSWORD, code)  # locked, even with the right secrets
        verdict = await audit.verify()
        assert verdict.ok and verdict.entries >= 3 + MAX_FAILED_LOGINS
    finally:
        await store.engine.dispose()
