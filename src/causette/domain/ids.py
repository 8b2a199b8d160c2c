"""Random identifiers of users, conversations, requests, reports, cases."""

from __future__ import annotations

import base64
import secrets


def new_id(prefix: str) -> str:
    """A random id: prefix + 16 base32 characters (80 bits)."""
    return prefix + base64.b32encode(secrets.token_bytes(10)).decode().lower()
