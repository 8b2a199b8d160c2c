"""Moderators, cases and decisions over the real API, for the moderation tests
(tests/integration/test_moderation_*.py, test_notices.py)."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from causette.chat.tokens import load_secret
from causette.moderation.accounts import Accounts, SecretBox
from causette.moderation.audit import AuditLog
from causette.store import Store
from tests.support.client import ChatClient
from tests.support.harness import Entrant
from tests.support.server import ServerProcess

CAUSETTE = Path(sys.executable).with_name("causette")
PASSWORD = "un mot de passe assez long"
Headers = dict[str, str]


# --- moderators ---------------------------------------------------------------------------------
def _secret_of(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["secret"][0]


async def add_moderator(
    server: ServerProcess, role: str = "moderator", prefix: str = "mod"
) -> tuple[str, str]:
    """A new account on the server's database; returns (name, TOTP secret)."""
    name = f"{prefix}-{secrets.token_hex(4)}"
    store = Store.open(server.store_url)
    try:
        box = SecretBox(load_secret("", str(server.data_dir)))
        _moderator, uri = await Accounts(store.moderators, AuditLog(store.audit), box).add(
            name, role, PASSWORD
        )
    finally:
        await store.engine.dispose()
    return name, _secret_of(uri)


def audit_verify(server: ServerProcess) -> subprocess.CompletedProcess[str]:
    """`causette audit verify` on the server's storage."""
    return subprocess.run(
        [str(CAUSETTE), "audit", "verify", *server.storage_args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def cli_add_moderator(server: ServerProcess, role: str = "moderator", prefix: str = "cli") -> tuple[str, str]:
    """The same with `causette moderator add` (the otpauth URI it prints carries the secret)."""
    name = f"{prefix}-{secrets.token_hex(4)}"
    done = subprocess.run(
        [str(CAUSETTE), "moderator", "add", name, "--role", role, "--password-stdin", *server.storage_args],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    uri = next(line for line in done.stdout.splitlines() if line.startswith("otpauth://totp/"))
    return name, _secret_of(uri)


async def login_response(
    http: httpx.AsyncClient, name: str, secret: str, password: str = PASSWORD, step: int = 0
) -> httpx.Response:
    """POST /api/v1/mod/login with the TOTP code of the current time step (+ `step`: a code logs
    in once, so a second login within 30 s uses the next step's, inside the allowed drift)."""
    code = pyotp.TOTP(secret).at(time.time() + 30 * step)
    return await http.post("/api/v1/mod/login", json={"name": name, "password": password, "code": code})


async def login(http: httpx.AsyncClient, name: str, secret: str, step: int = 0) -> Headers:
    resp = await login_response(http, name, secret, step=step)
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


async def moderator(http: httpx.AsyncClient, server: ServerProcess, role: str = "moderator") -> Headers:
    """A new account of `role`, logged in: the console's bearer headers."""
    name, secret = await add_moderator(server, role, prefix=role[:5])
    return await login(http, name, secret)


# --- cases and decisions ------------------------------------------------------------------------
async def queue(http: httpx.AsyncClient, mod: Headers) -> list[dict[str, Any]]:
    resp = await http.get("/api/v1/mod/queue", params={"limit": 500}, headers=mod)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


async def case_for(http: httpx.AsyncClient, mod: Headers, target: str) -> dict[str, Any]:
    """The open case of `target`, as the queue shows it."""
    found = [c for c in await queue(http, mod) if c["target"] == target]
    assert len(found) == 1, f"{len(found)} open cases for {target}"
    return found[0]


async def case_view(http: httpx.AsyncClient, mod: Headers, case_id: str) -> dict[str, Any]:
    resp = await http.get(f"/api/v1/mod/cases/{case_id}", headers=mod)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def act_response(
    http: httpx.AsyncClient, mod: Headers, case_id: str, action: str, ground: str = "tos-3", **extra: Any
) -> httpx.Response:
    body = {"action": action, "ground": ground, "facts": f"Constaté lors de l'examen ({action}).", **extra}
    return await http.post(f"/api/v1/mod/cases/{case_id}/actions", headers=mod, json=body)


async def act(
    http: httpx.AsyncClient, mod: Headers, case_id: str, action: str, ground: str = "tos-3", **extra: Any
) -> dict[str, Any]:
    """Take `action` on the case; returns {"decision", "case"}."""
    resp = await act_response(http, mod, case_id, action, ground, **extra)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def appeal_and_reverse(
    http: httpx.AsyncClient, decision_id: str, key: str, other_mod: Headers
) -> dict[str, Any]:
    """The affected user appeals with the statement's key; another moderator reverses."""
    filed = await http.post(
        "/api/v1/appeals", json={"statement": decision_id, "key": key, "text": "Je conteste cette décision."}
    )
    assert filed.status_code == 201, filed.text
    decided = await http.post(
        f"/api/v1/mod/appeals/{filed.json()['id']}",
        headers=other_mod,
        json={"outcome": "reverse", "reply": "Décision annulée après un second examen."},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["status"] == "reversed"
    return dict(decided.json())


async def report(client: ChatClient, target: dict[str, Any], category: str = "harassment") -> str:
    """A chat `report`; returns its receipt id."""
    await client.send(t="report", target=target, category=category, text="signalé pendant le test")
    return str((await client.expect("reported"))["id"])


async def statement_notice(client: ChatClient, decision_id: str) -> dict[str, Any]:
    """The statement of reasons of `decision_id`, from its notice frame."""
    notice = await client.expect("notice", timeout=5, code="statement_of_reasons")
    assert isinstance(notice.get("text"), str) and notice["text"], notice
    statement = dict(notice["statement"])
    assert statement["id"] == decision_id, (statement, decision_id)
    assert statement["appeal"]["key"], statement
    return statement


def history_seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [int(m["seq"]) for m in frames]


async def rest_history(http: httpx.AsyncClient, who: Entrant, conv: str) -> list[dict[str, Any]]:
    resp = await http.get(f"/api/v1/history/{conv}", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


# --- 1. delete_message ----------------------------------------------------------------------------
