"""The one hashing rule of evidence: what a case freezes (moderation) and what an export
re-verifies (governance) must hash the same way."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def digest(data: Any) -> str:
    """SHA-256 of `data` as compact UTF-8 JSON with sorted keys."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
