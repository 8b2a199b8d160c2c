"""The data files of moderation: grounds of decisions and categories of notices."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Ground:
    ref: str
    kind: str  # "tos" | "law"
    title: str
    text: str

    def public(self) -> dict[str, str]:
        return {"ref": self.ref, "kind": self.kind, "title": self.title, "text": self.text}


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    severity: int
    fr: str
    en: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "label": {"fr": self.fr, "en": self.en}}


def _load(name: str) -> dict[str, Any]:
    with resources.files("causette.moderation").joinpath(name).open("rb") as fh:
        return tomllib.load(fh)


@cache
def grounds() -> dict[str, Ground]:
    out: dict[str, Ground] = {}
    for entry in _load("grounds.toml")["ground"]:
        ground = Ground(str(entry["ref"]), str(entry["kind"]), str(entry["title"]), str(entry["text"]))
        if ground.kind not in ("tos", "law") or ground.ref in out:
            raise ValueError(f"grounds.toml: bad or duplicate ground {ground.ref!r}")
        out[ground.ref] = ground
    return out


@cache
def categories() -> dict[str, Category]:
    out: dict[str, Category] = {}
    for entry in _load("categories.toml")["category"]:
        cat = Category(str(entry["id"]), int(entry["severity"]), str(entry["fr"]), str(entry["en"]))
        if cat.id in out:
            raise ValueError(f"categories.toml: duplicate category {cat.id!r}")
        out[cat.id] = cat
    return out
