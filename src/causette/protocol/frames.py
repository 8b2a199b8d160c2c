"""Wire frames of protocol v1 (docs/protocol.md), decoded once and encoded once.

Client frames are validated strictly with pydantic; server frames are pydantic models too, so
the schema is one source of truth, and are encoded to bytes with orjson (the one JSON codec).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from causette.protocol.errors import ErrorCode, ProtocolError

SUBPROTOCOL = "causette.v1"

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Cid = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# The length limit of a text is a setting checked by the chat service (error too_long); this
# bound only stops absurd values before they are processed at all.
Text = Annotated[str, StringConstraints(max_length=65_536)]


class _Client(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class Hello(_Client):
    t: Literal["hello"]
    resume: dict[Id, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)


class Join(_Client):
    t: Literal["join"]
    room: Id


class Leave(_Client):
    t: Literal["leave"]
    room: Id


class Say(_Client):
    t: Literal["say"]
    conv: Id
    text: Text
    cid: Cid


class PmRequest(_Client):
    t: Literal["pm_request"]
    to: Id
    text: Text
    cid: Cid


class PmAnswer(_Client):
    t: Literal["pm_answer"]
    request: Id
    accept: bool


class Block(_Client):
    t: Literal["block"]
    user: Id


class Unblock(_Client):
    t: Literal["unblock"]
    user: Id


class ReportTarget(_Client):
    conv: Id | None = None
    seq: int | None = None
    user: Id | None = None
    room: Id | None = None


class Report(_Client):
    t: Literal["report"]
    target: ReportTarget
    category: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    text: Annotated[str, StringConstraints(max_length=2000)] = ""


class Typing(_Client):
    t: Literal["typing"]
    conv: Id


class Ping(_Client):
    t: Literal["ping"]


ClientFrame = Hello | Join | Leave | Say | PmRequest | PmAnswer | Block | Unblock | Report | Typing | Ping

CLIENT_FRAMES: dict[str, type[_Client]] = {
    "hello": Hello,
    "join": Join,
    "leave": Leave,
    "say": Say,
    "pm_request": PmRequest,
    "pm_answer": PmAnswer,
    "block": Block,
    "unblock": Unblock,
    "report": Report,
    "typing": Typing,
    "ping": Ping,
}


def decode(raw: bytes | str) -> ClientFrame:
    """Decode one client frame, or raise ProtocolError(bad_frame | unknown_type)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(ErrorCode.BAD_FRAME, "frame is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "frame must be a JSON object")
    kind = data.get("t")
    cid = data.get("cid") if isinstance(data.get("cid"), str) else None
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "frame has no type field 't'", cid)
    model = CLIENT_FRAMES.get(kind)
    if model is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown frame type {kind[:40]!r}", cid)
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ProtocolError(
            ErrorCode.BAD_FRAME, f"{kind}: {where}: {first.get('msg', 'invalid')}", cid
        ) from exc


# --- server frames ------------------------------------------------------------------------


class _Server(BaseModel):
    model_config = ConfigDict(frozen=True)


class UserOut(_Server):
    id: str
    pseudonym: str
    age: int
    gender: str
    departement: str
    region: str


class Author(_Server):
    id: str
    pseudonym: str
    gender: str


class MsgOut(_Server):
    t: Literal["msg"] = "msg"
    conv: str
    seq: int
    # `from` is a Python keyword: the field is aliased on the wire.
    from_: Author = Field(serialization_alias="from")
    text: str
    at: int


class Ack(_Server):
    t: Literal["ack"] = "ack"
    cid: str
    conv: str | None = None
    seq: int | None = None
    request: str | None = None


class ErrorOut(_Server):
    t: Literal["error"] = "error"
    code: str
    message: str
    cid: str | None = None
    conv: str | None = None
    # timed_out: when the time-out ends (ms since the epoch).
    until: int | None = None


def encode(frame: BaseModel) -> bytes:
    """Encode a server frame once; the same bytes go to every recipient."""
    return orjson.dumps(frame.model_dump(by_alias=True, exclude_none=True))


def encode_dict(frame: dict[str, Any]) -> bytes:
    """Encode a server frame built as a plain dict (frames with nested free-form parts)."""
    return orjson.dumps(frame)


def error_frame(
    code: str, message: str, cid: str | None = None, conv: str | None = None, until: int | None = None
) -> bytes:
    return encode(ErrorOut(code=code, message=message, cid=cid, conv=conv, until=until))
