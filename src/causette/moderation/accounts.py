"""Moderator accounts: argon2 password hashes, a TOTP second factor, lockout after failures.

Every account creation and every login attempt is written to the audit chain.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from causette.domain.ids import new_id
from causette.moderation.audit import AuditLog
from causette.store.database import now_ms
from causette.store.moderators import ModeratorRepository, ModeratorRow, NameTaken

ROLES = ("moderator", "admin", "legal")
# A moderator password guards other people's safety data: long, not clever.
MIN_PASSWORD_LENGTH = 12
# After this many failed logins the account is locked for LOCKOUT_SECONDS, so that a password or a
# TOTP code cannot be guessed online (a 6-digit code has a million values).
MAX_FAILED_LOGINS = 5
LOCKOUT_SECONDS = 15 * 60
ISSUER = "Causette"

_hasher = PasswordHasher()


class AccountError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Moderator:
    id: str
    name: str
    role: str


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_weak", f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


class SecretBox:
    """Encrypts TOTP secrets at rest with a key derived from the server secret (kept outside the
    database, in <data_dir>/secret.key or the `secret` setting): a stolen database dump does not
    give away the second factor."""

    PREFIX = "enc1:"

    def __init__(self, server_secret: bytes) -> None:
        key = hashlib.sha256(b"causette-totp-secret\x00" + server_secret).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self.PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(self.PREFIX):
            return stored  # written before encryption at rest
        try:
            return self._fernet.decrypt(stored[len(self.PREFIX) :].encode()).decode()
        except InvalidToken:
            raise AccountError(
                "secret_mismatch", "the server secret changed since this account was made"
            ) from None


class Accounts:
    def __init__(self, repo: ModeratorRepository, audit: AuditLog, box: SecretBox | None = None) -> None:
        self._repo = repo
        self._audit = audit
        self._box = box

    async def add(self, name: str, role: str, password: str, actor: str = "cli") -> tuple[Moderator, str]:
        """Create an account; returns it with the otpauth:// URI of its TOTP secret (shown once)."""
        name = name.strip()
        if not 2 <= len(name) <= 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise AccountError("name_invalid", "a name is 2-64 letters, digits, '-', '_' or '.'")
        if role not in ROLES:
            raise AccountError("role_invalid", f"role must be one of {', '.join(ROLES)}")
        check_password(password)
        secret = pyotp.random_base32()
        stored = self._box.seal(secret) if self._box is not None else secret
        row = ModeratorRow(new_id("m"), name, role, _hasher.hash(password), stored, 0, 0, False)
        try:
            await self._repo.create(row, now_ms())
        except NameTaken:
            raise AccountError("name_taken", f"a moderator named {name!r} exists already") from None
        await self._audit.record(actor, "moderator.add", f"moderator:{row.id}", {"name": name, "role": role})
        uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
        return Moderator(row.id, name, role), uri

    async def login(self, name: str, password: str, code: str, now: float | None = None) -> Moderator:
        """Check password and TOTP code; count failures and lock the account after too many."""
        at = time.time() if now is None else now
        row = await self._repo.by_name(name)
        if row is None or row.disabled:
            await self._audit.record(f"anonymous:{name[:40]}", "login.failed", "moderator:unknown", {})
            raise AccountError("login_failed", "wrong name, password or code")
        if row.locked_until > at * 1000:
            await self._audit.record(f"moderator:{row.id}", "login.locked", f"moderator:{row.id}", {})
            raise AccountError("locked", "too many failed logins: try again later")
        try:
            password_ok: bool = _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            password_ok = False
        step = _totp_step(self._secret_of(row.totp_secret), code, at)
        # A code is good once: a step at or before the last login's is a replay.
        code_ok = step is not None and step > row.totp_last_step
        if not (password_ok and code_ok):
            failures = row.failed_logins + 1
            locked = int((at + LOCKOUT_SECONDS) * 1000) if failures >= MAX_FAILED_LOGINS else 0
            await self._repo.record_failure(row.id, 0 if locked else failures, locked)
            await self._audit.record(
                f"moderator:{row.id}",
                "login.failed",
                f"moderator:{row.id}",
                {"failures": failures, "locked": bool(locked)},
            )
            raise AccountError("login_failed", "wrong name, password or code")
        rehash = _hasher.hash(password) if _hasher.check_needs_rehash(row.password_hash) else None
        assert step is not None
        await self._repo.record_success(row.id, rehash, step)
        await self._audit.record(f"moderator:{row.id}", "login", f"moderator:{row.id}", {})
        return Moderator(row.id, row.name, row.role)

    def _secret_of(self, stored: str) -> str:
        if self._box is not None:
            return self._box.open(stored)
        if stored.startswith(SecretBox.PREFIX):
            raise AccountError(
                "secret_mismatch", "this account's TOTP secret is sealed: give the server secret"
            )
        return stored

    # --- console sessions ---------------------------------------------------------------------------
    async def open_session(self, moderator: Moderator, ttl_seconds: int) -> tuple[str, int]:
        """A bearer token for the console; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        now = now_ms()
        expires = now + ttl_seconds * 1000
        await self._repo.open_session(_token_hash(token), moderator.id, now, expires)
        return token, expires

    async def session(self, token: str, idle_seconds: int) -> Moderator | None:
        if not token or len(token) > 200:
            return None
        row = await self._repo.touch_session(_token_hash(token), now_ms(), idle_seconds * 1000)
        return None if row is None else Moderator(row.id, row.name, row.role)

    async def close_session(self, token: str, moderator: Moderator) -> None:
        await self._repo.close_session(_token_hash(token))
        await self._audit.record(f"moderator:{moderator.id}", "logout", f"moderator:{moderator.id}", {})


def _totp_step(secret: str, code: str, at: float) -> int | None:
    """The time step (30 s) whose code this is, allowing one step of clock drift either way."""
    totp = pyotp.TOTP(secret)
    now_step = int(at) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
