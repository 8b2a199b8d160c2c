"""Escalation packages for authorities (DSA art. 18) and legal holds, on SQLite and PostgreSQL:
`governance.legal` on the server's own database, and `causette legal export` / `legal hold`."""

from __future__ import annotations

import hashlib
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from causette.domain.ids import new_id
from causette.domain.models import User
from causette.governance.legal import LegalError, export_case
from causette.moderation.audit import AuditLog
from causette.store import Store
from causette.store.cases import CaseRow
from causette.store.database import now_ms
from causette.store.decisions import AppealRow, DecisionRow
from causette.store.tables import cases
from tests.support.harness import Harness
from tests.support.server import ServerProcess

CAUSETTE = Path(sys.executable).with_name("causette")
PACKAGE_FILES = {"case.json", "evidence.json", "audit.json", "manifest.json", "manifest.sha256"}
DAY_MS = 86_400_000
# 2025-06-15T15:06:40.123Z
FIXED_NOW = 1_750_000_000_123


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _item_sha(data: object) -> str:
    """Written independently of the code under test: compact JSON with sorted keys."""
    return _sha(orjson.dumps(data, option=orjson.OPT_SORT_KEYS))


def _load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def _manifest_holds(package: Path) -> bool:
    """What an authority does: check the manifest, then every file against it."""
    digest, name = (package / "manifest.sha256").read_text().split()
    manifest_bytes = (package / name).read_bytes()
    if _sha(manifest_bytes) != digest:
        return False
    files = orjson.loads(manifest_bytes)["files"]
    return all(_sha((package / n).read_bytes()) == h for n, h in files.items())


class Scene:
    """A case about a person who entered from a known device and address, with a notice, a
    decision, an appeal against it, and audit entries about it and about another case."""

    def __init__(self, case: CaseRow, subject: User, decision: DecisionRow, appeal: AppealRow) -> None:
        self.case, self.subject, self.decision, self.appeal = case, subject, decision, appeal


async def _scene(store: Store) -> Scene:
    now = now_ms()
    tag = new_id("")
    subject = User(new_id("u"), f"Sujet{tag}", f"sujet{tag}", 34, "m", "69", "Auvergne-Rhône-Alpes")
    await store.sessions.create(
        subject, now, now + DAY_MS, now, device_id=f"dev-{tag}", address="203.0.113.7"
    )
    items: list[tuple[str, Any]] = [
        ("target_message", {"conv": "room-lyon", "seq": 7, "from": subject.id, "text": "je te retrouve 😠"}),
        ("declared_profile", subject.public()),
    ]
    hashed = [{"kind": k, "data": d, "sha256": _item_sha(d)} for k, d in items]
    evidence: dict[str, Any] = {"items": hashed, "sha256": _item_sha([h["sha256"] for h in hashed])}
    case = CaseRow(
        new_id("c"), f"user:{subject.id}", "threat", 1, "report", "open", 1, now, now,
        evidence, evidence["sha256"], False, subject.id,
    )  # fmt: skip
    report_id = new_id("r")
    await store.reports.create(
        report_id, None, conv=None, seq=None, user=subject.id, room=None, category="threat",
        text="il menace une personne", now=now, source="form", contact="temoin@example.org",
        reporter_key="ip:198.51.100.0/24", receipt_key_sha256="ab" * 32,
    )  # fmt: skip
    await store.cases.create(case, report_id)
    decision = DecisionRow(
        new_id("d"), case.id, "m1", "alice", "ban", "law-222-17", "menaces de mort", case.target,
        subject.id, f"dev-{tag}", None, True, None, now + 30 * DAY_MS, False, "in_force", now,
        now + 180 * DAY_MS, "appeal-key-secret",
    )  # fmt: skip
    await store.decisions.create(decision)
    appeal = AppealRow(new_id("a"), decision.id, "je conteste", now, "open", None, None, None)
    await store.decisions.create_appeal(appeal)
    audit = AuditLog(store.audit)
    await audit.record("mod:alice", "ban", f"case:{case.id}", {"decision": decision.id})
    await audit.record("mod:alice", "timeout", f"case:{new_id('c')}", {})
    return Scene(case, subject, decision, appeal)


@pytest.fixture
async def store(server: ServerProcess) -> AsyncIterator[Store]:
    opened = Store.open(server.store_url)
    yield opened
    await opened.engine.dispose()


async def test_an_export_writes_every_file_owner_only_with_hashes_matching_its_manifest(
    store: Store, tmp_path: Path
) -> None:
    scene = await _scene(store)
    result = await export_case(store, scene.case.id, tmp_path / "exports", now_ms=FIXED_NOW)

    assert result.path == tmp_path / "exports" / f"case-{scene.case.id}-20250615T150640.123Z"
    assert {p.name for p in result.path.iterdir()} == PACKAGE_FILES
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [result.path.name]  # no leftovers
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in result.path.iterdir())

    manifest_bytes = (result.path / "manifest.json").read_bytes()
    assert result.manifest_sha256 == _sha(manifest_bytes)
    assert (result.path / "manifest.sha256").read_text() == f"{result.manifest_sha256}  manifest.json\n"
    manifest = orjson.loads(manifest_bytes)
    assert manifest["case"] == scene.case.id and manifest["created_at"] == FIXED_NOW
    assert manifest["generator"].startswith("causette ")
    assert manifest["files"] == result.files
    assert set(result.files) == {"case.json", "evidence.json", "audit.json"}
    assert _manifest_holds(result.path)


async def test_an_export_holds_the_case_and_carries_what_authorities_need_but_no_credentials(
    store: Store, tmp_path: Path
) -> None:
    scene = await _scene(store)
    result = await export_case(store, scene.case.id, tmp_path)

    held = await store.cases.get(scene.case.id)
    assert held is not None and held.legal_hold
    assert scene.case.id in {c.id for c in await store.cases.held()}

    doc = _load(result.path / "case.json")
    assert doc["case"]["id"] == scene.case.id and doc["case"]["legal_hold"] is True
    assert (doc["case"]["category"], doc["case"]["subject_id"]) == ("threat", scene.subject.id)
    assert doc["subject"] == {
        "id": scene.subject.id,
        "declared_profile": scene.subject.public(),
        "device_id": scene.decision.subject_device,
        "address": "203.0.113.7",
    }
    [notice] = doc["notices"]
    assert (notice["text"], notice["source"], notice["contact"]) == (
        "il menace une personne",
        "form",
        "temoin@example.org",
    )
    [decision] = doc["decisions"]
    assert (decision["id"], decision["action"], decision["facts"]) == (
        scene.decision.id,
        "ban",
        "menaces de mort",
    )
    assert decision["appeal"]["id"] == scene.appeal.id and decision["appeal"]["text"] == "je conteste"
    text = (result.path / "case.json").read_text()
    for secret in ("appeal-key-secret", "ab" * 32, "198.51.100.0/24"):
        assert secret not in text

    audit = _load(result.path / "audit.json")
    assert [(e["action"], e["target"]) for e in audit["entries"]] == [("ban", f"case:{scene.case.id}")]
    head = await store.audit.head()
    assert head is not None and audit["head"] == {"seq": head[0], "hash": head[1]}
    assert all(len(e["hash"]) == 64 and len(e["prev_hash"]) == 64 for e in audit["entries"])


async def test_a_tampered_package_no_longer_matches_its_manifest(store: Store, tmp_path: Path) -> None:
    scene = await _scene(store)
    result = await export_case(store, scene.case.id, tmp_path)
    evidence = result.path / "evidence.json"
    original = evidence.read_bytes()
    evidence.write_bytes(original.replace(b"je te retrouve", b"je te salue"))
    assert not _manifest_holds(result.path)

    evidence.write_bytes(original)
    assert _manifest_holds(result.path)
    # Rewriting the manifest to match the edit is caught by manifest.sha256 (itself recorded in
    # the audit chain by `causette legal export`).
    manifest = result.path / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(result.files["case.json"].encode(), b"0" * 64))
    assert not _manifest_holds(result.path)


async def test_the_evidence_of_a_reported_message_verifies_in_the_package(
    chat: Harness, store: Store, tmp_path: Path
) -> None:
    a = await chat.online("la")
    b = await chat.online("lb")
    room = await chat.private_room(a, b)
    acks = await chat.say_many(a[1], room, [f"message légal numéro {i}" for i in range(5)])
    target = acks[2]["seq"]
    await b[1].send(t="report", target={"conv": room, "seq": target}, category="threat", text="")
    await b[1].expect("reported")
    case = await store.cases.open_for(f"message:{room}:{target}")
    assert case is not None

    result = await export_case(store, case.id, tmp_path)
    doc = _load(result.path / "evidence.json")
    assert doc["evidence"] == case.evidence and doc["evidence_sha256"] == case.evidence_sha256
    check = doc["verification"]
    assert check["verified"] is True and check["snapshot_match"] is True
    assert len(check["items"]) == len(case.evidence["items"]) > 0
    assert all(i["match"] for i in check["items"])
    assert [i["kind"] for i in check["items"] if i["kind"] == "target_message"] == ["target_message"]


async def test_evidence_altered_in_the_database_fails_verification_in_the_package(
    store: Store, tmp_path: Path
) -> None:
    scene = await _scene(store)
    altered = orjson.loads(orjson.dumps(scene.case.evidence))
    altered["items"][0]["data"]["text"] = "bonjour"
    async with store.engine.begin() as conn:
        await conn.execute(
            update(cases).where(cases.c.id == scene.case.id).values(evidence=orjson.dumps(altered).decode())
        )

    result = await export_case(store, scene.case.id, tmp_path)
    check = _load(result.path / "evidence.json")["verification"]
    assert check["verified"] is False and check["snapshot_match"] is False
    assert [i["match"] for i in check["items"]] == [False, True]


async def test_exporting_an_unknown_case_is_not_found_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    with pytest.raises(LegalError) as err:
        await export_case(store, "cnosuchcase", tmp_path / "exports")
    assert err.value.code == "not_found"
    assert not (tmp_path / "exports").exists()


# --- the command ---------------------------------------------------------------------------------
def _legal(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(CAUSETTE), "legal", *args, *server.storage_args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def _printed(out: str, label: str) -> str:
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith(f"{label}: "))


async def test_legal_export_and_hold_commands_write_the_package_and_record_it_in_the_audit_chain(
    server: ServerProcess, store: Store
) -> None:
    scene = await _scene(store)
    case_id = scene.case.id

    done = _legal(server, "export", "--case", case_id)
    assert done.returncode == 0, done.stdout + done.stderr
    package, digest = Path(_printed(done.stdout, "package")), _printed(done.stdout, "manifest SHA-256")
    assert package.parent == server.data_dir / "exports"  # the default place
    assert _sha((package / "manifest.json").read_bytes()) == digest and _manifest_holds(package)
    held = await store.cases.get(case_id)
    assert held is not None and held.legal_hold

    released = _legal(server, "hold", "--case", case_id, "--release")
    assert released.returncode == 0, released.stderr
    held = await store.cases.get(case_id)
    assert held is not None and not held.legal_hold
    assert _legal(server, "hold", "--case", case_id).returncode == 0
    held = await store.cases.get(case_id)
    assert held is not None and held.legal_hold

    about = [e async for e in store.audit.entries() if e[4] == f"case:{case_id}"]
    assert [(e[2], e[3]) for e in about] == [
        ("mod:alice", "ban"),
        ("cli", "legal.export"),
        ("cli", "legal.release"),
        ("cli", "legal.hold"),
    ]
    assert about[1][5]["manifest_sha256"] == digest
    assert (await AuditLog(store.audit).verify()).ok

    # A second export holds the first export's audit entry in its audit.json.
    again = _legal(server, "export", "--case", case_id, "--out", str(package.parent / "again"))
    assert again.returncode == 0, again.stderr
    second = _load(Path(_printed(again.stdout, "package")) / "audit.json")
    assert [e["action"] for e in second["entries"]] == ["ban", "legal.export", "legal.release", "legal.hold"]


async def test_legal_commands_on_an_unknown_case_exit_2_with_a_message(server: ServerProcess) -> None:
    for args in (("export", "--case", "cnosuchcase"), ("hold", "--case", "cnosuchcase")):
        done = _legal(server, *args)
        assert done.returncode == 2
        assert "no case cnosuchcase" in done.stderr


def test_packages_are_signed_with_the_installation_key(tmp_path: Path) -> None:
    """manifest.sig verifies with signing-key.pub, whose fingerprint `legal pubkey` prints; a
    changed manifest no longer verifies."""
    from causette.governance.signing import fingerprint, load_signing_key, public_pem, sign, verify

    key = load_signing_key(tmp_path)
    assert (tmp_path / "export-signing.key").stat().st_mode & 0o777 == 0o600
    assert fingerprint(load_signing_key(tmp_path)) == fingerprint(key)  # kept, not remade
    manifest = b'{"case": "c1", "files": {}}\n'
    signature = sign(key, manifest)
    assert verify(public_pem(key), manifest, signature)
    assert not verify(public_pem(key), manifest.replace(b"c1", b"c2"), signature)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("causette")), "legal", "pubkey", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert public_pem(key).decode() in done.stdout and fingerprint(key) in done.stdout
