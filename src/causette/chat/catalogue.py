"""The operator's room catalogue: themed, regional and age-band rooms, from a TOML file."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from causette.bus.base import PRESENCE
from causette.domain.departements import REGIONS
from causette.domain.models import Room, RoomKind

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Ids that are taken by other kinds of conversation, or are bus channel names.
RESERVED_PREFIXES = ("pm-", "r-", "u-")
RESERVED_IDS = frozenset({PRESENCE})


class CatalogueError(Exception):
    pass


def _int_or_none(entry: dict[str, Any], key: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 150:
        raise CatalogueError(f"room {entry.get('id')!r}: {key} must be a whole number of years")
    return value


def _room(entry: object) -> Room:
    if not isinstance(entry, dict):
        raise CatalogueError(f"bad room entry {entry!r}: write each room as a [[room]] table")
    try:
        room = Room(
            id=str(entry["id"]),
            name=str(entry["name"]),
            kind=RoomKind(entry["kind"]),
            topic=str(entry.get("topic", "")),
            region=None if entry.get("region") is None else str(entry["region"]),
            min_age=_int_or_none(entry, "min_age"),
            max_age=_int_or_none(entry, "max_age"),
        )
    except (KeyError, ValueError) as exc:
        raise CatalogueError(f"bad room entry {entry!r}: {exc}") from exc
    if not _ID.match(room.id) or room.id.startswith(RESERVED_PREFIXES) or room.id in RESERVED_IDS:
        raise CatalogueError(
            f"room id {room.id!r}: lowercase letters, digits and '-'; "
            f"not {', '.join(RESERVED_PREFIXES)}, nor {', '.join(sorted(RESERVED_IDS))}"
        )
    if room.kind is RoomKind.PRIVATE:
        raise CatalogueError(f"room {room.id!r}: private rooms are made by users, not the catalogue")
    if room.kind is RoomKind.REGION and room.region not in REGIONS:
        raise CatalogueError(f"room {room.id!r}: region must be one of {', '.join(REGIONS)}")
    if room.kind is RoomKind.AGE:
        if room.min_age is None:
            raise CatalogueError(f"room {room.id!r}: an age room needs min_age")
        if room.max_age is not None and room.max_age < room.min_age:
            raise CatalogueError(f"room {room.id!r}: max_age is below min_age")
    return room


def load_catalogue(path: str = "") -> list[Room]:
    try:
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = resources.files("causette.chat").joinpath("default_rooms.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"cannot read rooms file {path or 'default_rooms.toml'}: {exc}") from exc
    entries = data.get("room", [])
    if not isinstance(entries, list):
        raise CatalogueError("rooms must be [[room]] tables")
    out: list[Room] = []
    seen: set[str] = set()
    for entry in entries:
        room = _room(entry)
        if room.id in seen:
            raise CatalogueError(f"room id {room.id!r} appears twice")
        seen.add(room.id)
        out.append(room)
    if not out:
        raise CatalogueError("the room catalogue is empty")
    return out
