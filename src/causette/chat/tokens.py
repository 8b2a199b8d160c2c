"""Signed, expiring session tokens: `v1.<user id>.<expiry ms>.<HMAC-SHA256>`.

The signature makes a token unforgeable; the expiry bounds its life; revocation is checked
against the session row, so a token can be ended before it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_secret(configured: str, data_dir: str) -> bytes:
    if configured:
        if len(configured) < 16:
            raise ValueError("the configured secret must have at least 16 characters")
        return configured.encode()
    path = Path(data_dir) / "secret.key"
    if path.exists():
        value = path.read_bytes().strip()
        # An empty or truncated key (a full disk) would sign tokens with a guessable key.
        if len(value) < 16:
            raise ValueError(f"{path} is empty or truncated: remove it to generate a new secret")
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(value)
    return value


class TokenSigner:
    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"causette-session-token\x00" + secret).digest()

    def _sig(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, user_id: str, expires_at_ms: int) -> str:
        body = f"v1.{user_id}.{expires_at_ms}"
        return f"{body}.{self._sig(body)}"

    def verify(self, token: str, now_ms: int) -> str | None:
        """The user id of a well-signed, unexpired token, else None."""
        if not token or len(token) > 200:
            return None
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "v1":
            return None
        body = ".".join(parts[:3])
        if not parts[3].isascii() or not hmac.compare_digest(self._sig(body), parts[3]):
            return None
        try:
            expires = int(parts[2])
        except ValueError:
            return None
        return parts[1] if expires > now_ms else None
