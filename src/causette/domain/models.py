"""Entities shared by every layer. Plain immutable values: no I/O, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class RoomKind(StrEnum):
    THEME = "theme"
    REGION = "region"
    AGE = "age"
    PRIVATE = "private"


class RequestStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class User:
    """A chatter's session identity: what others may see, and the fixed declared age."""

    id: str
    pseudonym: str
    skeleton: str
    age: int
    gender: str
    departement: str
    region: str

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pseudonym": self.pseudonym,
            "age": self.age,
            "gender": self.gender,
            "departement": self.departement,
            "region": self.region,
        }


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    name: str
    kind: RoomKind
    topic: str
    region: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    owner_id: str | None = None
    cap: int | None = None

    def admits_age(self, age: int) -> bool:
        """Age-band rooms are for their band only; other rooms admit every (adult) age."""
        if self.min_age is not None and age < self.min_age:
            return False
        return not (self.max_age is not None and age > self.max_age)

    def public(self, members: int, joined: bool | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "topic": self.topic,
            "members": members,
        }
        if self.region is not None:
            out["region"] = self.region
        if self.min_age is not None:
            out["min_age"] = self.min_age
        if self.max_age is not None:
            out["max_age"] = self.max_age
        if self.cap is not None:
            out["cap"] = self.cap
        if joined is not None:
            out["joined"] = joined
        return out


@dataclass(frozen=True, slots=True)
class Message:
    conv: str
    seq: int
    sender_id: str
    sender_pseudonym: str
    sender_gender: str
    text: str
    at: int  # milliseconds since the Unix epoch

    def wire(self) -> dict[str, Any]:
        return {
            "t": "msg",
            "conv": self.conv,
            "seq": self.seq,
            "from": {"id": self.sender_id, "pseudonym": self.sender_pseudonym, "gender": self.sender_gender},
            "text": self.text,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class PmRequestRecord:
    id: str
    from_id: str
    to_id: str
    text: str
    cid: str
    status: RequestStatus
    at: int
    conv: str | None = None


def is_private_conv(conv: str) -> bool:
    return conv.startswith("pm-")
