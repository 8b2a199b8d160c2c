"""Legal holds and the escalation package for authorities (DSA art. 18).

Art. 18 asks a platform that suspects a criminal offence threatening someone's life or safety to
inform the authorities "and provide all relevant information available". `export_case` writes that
information for one case as a directory an authority can check without Causette:

    case-<id>-<UTC time>/
        case.json        the case, its notices, decisions and appeals, the subject's declared
                         profile and the device and address it entered from
        evidence.json    the frozen evidence snapshot as stored, and its hashes recomputed now
        audit.json       the audit entries about the case, and the head of the audit chain
        manifest.json    {"case", "created_at", "generator", "files": {name: SHA-256}}
        manifest.sha256  SHA-256 of manifest.json, in `sha256sum` format
        manifest.sig     Ed25519 signature of manifest.json (base64), by the installation's key
        signing-key.pub  that key's public half (PEM); its fingerprint is `causette legal pubkey`

`sha256sum -c manifest.sha256` checks the manifest; each file's SHA-256 against the manifest checks
the rest. The manifest's hash is what a caller records in the audit chain (`causette legal
export` does), which ties the package to the tamper-evident log.

Exporting puts the case under legal hold first, so that retention never deletes what was handed
over, nor what is still being written.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from causette.domain.evidence import digest
from causette.governance.signing import public_pem, sign
from causette.store import Store
from causette.store.audit import AuditRow
from causette.store.cases import CaseRow
from causette.store.database import now_ms as clock

CASE_FILE = "case.json"
EVIDENCE_FILE = "evidence.json"
AUDIT_FILE = "audit.json"
MANIFEST_FILE = "manifest.json"
MANIFEST_HASH_FILE = "manifest.sha256"
SIGNATURE_FILE = "manifest.sig"
PUBLIC_KEY_FILE = "signing-key.pub"
# Owner only: the package holds personal data (declared profile, device cookie, address).
DIR_MODE = 0o700
FILE_MODE = 0o600

# Credentials and internal bookkeeping that are no use to an authority and must not leave:
# a decision's appeal key lets its holder appeal (art. 20); a notice's receipt key hash and
# notifier key (device, user or address prefix of the notifier, kept for art. 23) identify or
# authenticate a third party, the notifier, not the subject.
WITHHELD_DECISION_FIELDS = ("appeal_key",)
WITHHELD_NOTICE_FIELDS = ("receipt_key_sha256", "reporter_key")

TIMES = "milliseconds since 1970-01-01T00:00:00Z"
ITEM_HASH_RULE = (
    "item sha256 = SHA-256 of the item's `data` as compact UTF-8 JSON with sorted keys; "
    "snapshot sha256 = SHA-256 of the JSON list of the item hashes, in order"
)
AUDIT_HASH_RULE = (
    "hash = SHA-256(prev_hash + '\\n' + compact JSON with sorted keys of "
    "{seq, at, actor, action, target, details}); entry 1 follows 64 zeros"
)


class LegalError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    manifest_sha256: str
    files: dict[str, str]  # name -> SHA-256, as in the manifest


async def set_hold(store: Store, case_id: str, hold: bool, now: int | None = None) -> None:
    """Put a case under legal hold (retention keeps it), or release it."""
    if not await store.cases.set_legal_hold(case_id, hold, clock() if now is None else now):
        raise LegalError("not_found", f"no case {case_id}")


async def export_case(
    store: Store,
    case_id: str,
    out_dir: Path,
    now_ms: int | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> ExportResult:
    """Hold the case and write its package under `out_dir`; see the module docstring."""
    now = clock() if now_ms is None else now_ms
    await set_hold(store, case_id, True, now)
    case = await store.cases.get(case_id)
    if case is None:
        raise LegalError("not_found", f"no case {case_id}")
    contents = {
        CASE_FILE: _json(await _case_file(store, case)),
        EVIDENCE_FILE: _json(_evidence_file(case)),
        AUDIT_FILE: _json(await _audit_file(store, case_id)),
    }
    files = {name: _sha256(data) for name, data in contents.items()}
    manifest = _json(
        {"case": case_id, "created_at": now, "generator": f"causette {_version()}", "files": files}
    )
    manifest_sha256 = _sha256(manifest)
    contents[MANIFEST_FILE] = manifest
    contents[MANIFEST_HASH_FILE] = f"{manifest_sha256}  {MANIFEST_FILE}\n".encode()
    if signing_key is not None:
        contents[SIGNATURE_FILE] = sign(signing_key, manifest)
        contents[PUBLIC_KEY_FILE] = public_pem(signing_key)
    name = f"case-{case_id}-{_utc(now)}"
    path = await asyncio.to_thread(_write_package, Path(out_dir), name, contents)
    return ExportResult(path, manifest_sha256, files)


def verify_evidence(evidence: dict[str, Any], evidence_sha256: str) -> dict[str, Any]:
    """Recompute the snapshot's hashes as moderation/cases.py made them, and compare."""
    raw_items = evidence.get("items")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    checked = []
    for index, item in enumerate(items):
        entry = item if isinstance(item, dict) else {}
        recomputed = digest(entry.get("data"))
        checked.append(
            {
                "index": index,
                "kind": entry.get("kind"),
                "sha256": entry.get("sha256"),
                "recomputed": recomputed,
                "match": entry.get("sha256") == recomputed,
            }
        )
    snapshot = digest([c["recomputed"] for c in checked])
    snapshot_match = evidence.get("sha256") == snapshot and evidence_sha256 == snapshot
    return {
        "rule": ITEM_HASH_RULE,
        "items": checked,
        "snapshot_sha256": evidence.get("sha256"),
        "case_evidence_sha256": evidence_sha256,
        "snapshot_recomputed": snapshot,
        "snapshot_match": snapshot_match,
        "verified": isinstance(raw_items, list) and snapshot_match and all(c["match"] for c in checked),
    }


# --- the files -----------------------------------------------------------------------------------
async def _case_file(store: Store, case: CaseRow) -> dict[str, Any]:
    notices = [_without(asdict(r), WITHHELD_NOTICE_FIELDS) for r in await store.reports.of_case(case.id)]
    decisions = await store.decisions.for_cases([case.id])
    appeals = await store.decisions.appeals_of([d.id for d in decisions])
    subject: dict[str, Any] | None = None
    if case.subject_id is not None:
        profile = (await store.sessions.get_many([case.subject_id])).get(case.subject_id)
        device, address = await store.sessions.network_of(case.subject_id)
        subject = {
            "id": case.subject_id,
            "declared_profile": None if profile is None else profile.public(),
            "device_id": device,
            "address": address,
        }
    return {
        "about": "A moderation case of Causette, for the authorities (DSA art. 18). The profile is "
        "what the person declared on entry, unverified. Withheld: appeal keys, notifiers' keys.",
        "times": TIMES,
        "case": {
            "id": case.id,
            "target": case.target,
            "category": case.category,
            "severity": case.severity,
            "origin": case.origin,
            "status": case.status,
            "reports": case.reports,
            "created_at": case.created_at,
            "updated_at": case.updated_at,
            "closed_at": case.closed_at,
            "legal_hold": case.legal_hold,
            "subject_id": case.subject_id,
            "evidence_sha256": case.evidence_sha256,
        },
        "notices": notices,
        "decisions": [
            {
                **_without(asdict(d), WITHHELD_DECISION_FIELDS),
                "appeal": asdict(appeals[d.id]) if d.id in appeals else None,
            }
            for d in decisions
        ],
        "subject": subject,
    }


def _evidence_file(case: CaseRow) -> dict[str, Any]:
    return {
        "about": "The evidence frozen when the case opened, as stored, and its hashes recomputed "
        "at export time.",
        "times": TIMES,
        "evidence": case.evidence,
        "evidence_sha256": case.evidence_sha256,
        "verification": verify_evidence(case.evidence, case.evidence_sha256),
    }


async def _audit_file(store: Store, case_id: str) -> dict[str, Any]:
    # The repository has no query by target: the log is read once, in batches, and filtered here.
    entries = [_audit_entry(row) async for row in store.audit.entries() if _about_case(row, case_id)]
    head = await store.audit.head()
    return {
        "about": "The audit-log entries about this case (their target names it), and the head of "
        "the whole chain at export time. The entry recording this export comes after it.",
        "times": TIMES,
        "hash_rule": AUDIT_HASH_RULE,
        "head": None if head is None else {"seq": head[0], "hash": head[1]},
        "entries": entries,
    }


def _about_case(row: AuditRow, case_id: str) -> bool:
    target, details = row[4], row[5]
    return case_id in target.split(":") or details.get("case") == case_id


def _audit_entry(row: AuditRow) -> dict[str, Any]:
    seq, at, actor, action, target, details, prev_hash, entry_hash = row
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "target": target,
        "details": details,
        "prev_hash": prev_hash,
        "hash": entry_hash,
    }


# --- writing -------------------------------------------------------------------------------------
def _write_package(out_dir: Path, name: str, contents: dict[str, bytes]) -> Path:
    """Write every file into a hidden temporary directory, fsync, then rename it into place: a
    reader sees the whole package or nothing."""
    out_dir = out_dir.absolute()
    if not out_dir.exists():
        out_dir.mkdir(mode=DIR_MODE, parents=True)
    final = out_dir / name
    if final.exists():
        raise LegalError("exists", f"{final} already exists")
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=out_dir))
    try:
        os.chmod(tmp, DIR_MODE)
        for filename, data in contents.items():
            fd = os.open(tmp / filename, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fd, FILE_MODE)  # whatever the umask
                fh.write(data)
                fh.flush()
                os.fsync(fd)
        _fsync_dir(tmp)
        try:
            os.rename(tmp, final)
        except OSError as exc:
            raise LegalError("exists", f"{final} already exists") from exc
        _fsync_dir(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- encoding ------------------------------------------------------------------------------------
def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _without(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in fields}


def _utc(ms: int) -> str:
    """Basic ISO 8601 with milliseconds, e.g. 20250612T143005.123Z: sortable, no colons."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y%m%dT%H%M%S") + f".{ms % 1000:03d}Z"


def _version() -> str:
    try:
        return version("causette")
    except PackageNotFoundError:
        return "unknown"
