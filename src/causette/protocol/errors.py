"""Stable error codes of the wire protocol (docs/protocol.md, "Error codes")."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    NOT_MEMBER = "not_member"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    NOT_INVITED = "not_invited"
    ROOM_FULL = "room_full"
    BLOCKED = "blocked"
    DECLINED = "declined"
    REQUEST_PENDING = "request_pending"
    TOO_MANY_REQUESTS = "too_many_requests"
    ALREADY_OPEN = "already_open"
    SELF = "self"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    RESTRICTED = "restricted"
    HELD_FOR_REVIEW = "held_for_review"
    REFUSED_BY_POLICY = "refused_by_policy"
    TIMED_OUT = "timed_out"
    CATEGORY_INVALID = "category_invalid"


class CloseCode:
    """WebSocket close codes (RFC 6455, 7.4.1, plus the 4000-4999 private range)."""

    GOING_AWAY = 1001
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    TRY_AGAIN_LATER = 1013
    SESSION_ENDED = 4001


class ProtocolError(Exception):
    """A frame could not be decoded; `code` is the stable error code sent back."""

    def __init__(self, code: ErrorCode, message: str, cid: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.cid = cid
