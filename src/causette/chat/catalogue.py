"""The operator's room catalogue: themed, regional and age-band rooms, from a TOML file."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from causette.domain.models import Room, RoomKind

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class CatalogueError(Exception):
    pass


def load_catalogue(path: str = "") -> list[Room]:
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CatalogueError(f"cannot read rooms file {path}: {exc}") from exc
    else:
        text = resources.files("causette.chat").joinpath("default_rooms.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
    out: list[Room] = []
    seen: set[str] = set()
    for entry in data.get("room", []):
        try:
            room = Room(
                id=str(entry["id"]),
                name=str(entry["name"]),
                kind=RoomKind(entry["kind"]),
                topic=str(entry.get("topic", "")),
                region=entry.get("region"),
                min_age=entry.get("min_age"),
                max_age=entry.get("max_age"),
            )
        except (KeyError, ValueError) as exc:
            raise CatalogueError(f"bad room entry {entry!r}: {exc}") from exc
        if not _ID.match(room.id) or room.id.startswith(("pm-", "r-")):
            raise CatalogueError(f"room id {room.id!r}: lowercase letters, digits and '-', not pm-/r-")
        if room.kind is RoomKind.PRIVATE:
            raise CatalogueError(f"room {room.id!r}: private rooms are made by users, not the catalogue")
        if room.id in seen:
            raise CatalogueError(f"room id {room.id!r} appears twice")
        seen.add(room.id)
        out.append(room)
    if not out:
        raise CatalogueError("the room catalogue is empty")
    return out
