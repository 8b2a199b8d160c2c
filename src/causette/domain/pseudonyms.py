"""Pseudonyms: what may be typed, and when two pseudonyms count as the same name.

A pseudonym is the only identity a Causette user has, so the rules guard against impersonation
("Αdmin" with a Greek alpha), invisible or direction-flipping characters that make a name render
differently from what it is, and text that spills over its neighbours (Zalgo).

Uniqueness is decided by `skeleton()`: two names with the same skeleton cannot be live at once.
"""

from __future__ import annotations

import itertools
import json
import string
import unicodedata
from collections.abc import Iterable
from importlib import resources
from typing import Final

from causette.domain.errors import DomainError

MIN_LENGTH: Final = 3
MAX_LENGTH: Final = 20

# Raw input is refused before normalisation above this size, so that a hostile client cannot make
# the server normalise megabytes; no honest pseudonym needs more, even with stray spaces.
_RAW_LIMIT: Final = 256
_MAX_MARKS_IN_A_ROW: Final = 2
_SEPARATORS: Final = frozenset(" _-.")

# Characters that render as nothing although Unicode files them as letters or combining marks, so the
# category checks below would let them through: Hangul fillers (the classic "blank name" trick),
# Khmer inherent vowels, the combining grapheme joiner, Mongolian and generic variation selectors.
_INVISIBLE: Final = frozenset(
    itertools.chain(
        (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0),
        range(0xFE00, 0xFE10),
        range(0xE0100, 0xE01F0),
    )
)

_MSG_NOT_TEXT = "Le pseudonyme doit être un texte."
_MSG_LENGTH = f"Le pseudonyme doit comporter entre {MIN_LENGTH} et {MAX_LENGTH} caractères."
_MSG_NO_ALNUM = "Le pseudonyme doit contenir au moins une lettre ou un chiffre."
_MSG_ALLOWED = "Seuls les lettres, les chiffres, l'espace et les signes _ - . sont permis."
_MSG_RESERVED = (
    "Ce pseudonyme est réservé : il pourrait faire croire que tu parles au nom de l'équipe, "
    "d'une autorité ou d'un service d'aide. Choisis-en un autre."
)


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _invalid(reason: str) -> DomainError:
    return DomainError("pseudonym_invalid", reason)


def _check_characters(name: str) -> None:
    """Raise if `name` holds a character that a pseudonym may not contain.

    The messages name invisible characters by code point only: echoing a bidi override back into the
    page would flip the very message that reports it.
    """
    base_is_letter = False
    marks_in_a_row = 0
    has_alnum = False
    for ch in name:
        category = unicodedata.category(ch)
        if ord(ch) in _INVISIBLE:
            raise _invalid(f"Le pseudonyme contient un caractère invisible ({_codepoint(ch)}).")
        if category[0] == "M":
            # Enclosing marks (Me) draw circles or keycaps over their neighbours: never needed in a name.
            if category == "Me" or not base_is_letter:
                raise _invalid("Un accent ou signe diacritique doit suivre une lettre.")
            marks_in_a_row += 1
            if marks_in_a_row > _MAX_MARKS_IN_A_ROW:
                raise _invalid("Pas plus de deux accents ou signes diacritiques sur une même lettre.")
            continue
        marks_in_a_row = 0
        base_is_letter = category[0] == "L"
        if base_is_letter or category == "Nd":
            has_alnum = True
        elif ch in _SEPARATORS:
            pass
        elif category == "Cc":
            raise _invalid(f"Le pseudonyme contient un caractère de contrôle ({_codepoint(ch)}).")
        elif category == "Cf":
            raise _invalid(
                "Le pseudonyme contient un caractère invisible de mise en forme "
                f"(espace sans largeur, inversion du sens d'écriture…) ({_codepoint(ch)})."
            )
        elif category in ("Co", "Cs", "Cn"):
            raise _invalid(f"Le pseudonyme contient un caractère non reconnu ({_codepoint(ch)}).")
        else:
            raise _invalid(f"Caractère non permis « {ch} » ({_codepoint(ch)}). {_MSG_ALLOWED}")
    if not has_alnum:
        raise _invalid(_MSG_NO_ALNUM)


def normalise_pseudonym(raw: str) -> str:
    """Return the pseudonym as it will be displayed, or raise DomainError("pseudonym_invalid").

    NFKC first, so that full-width, mathematical-bold and similar variants become ordinary letters and
    the checks below see what a reader sees. Lengths are counted in code points after NFKC, so an
    accented letter that has a precomposed form counts once.
    """
    if not isinstance(raw, str):
        raise _invalid(_MSG_NOT_TEXT)
    if len(raw) > _RAW_LIMIT:
        raise _invalid(_MSG_LENGTH)
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    _check_characters(name)
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        raise _invalid(_MSG_LENGTH)
    return name


# --- Confusable skeleton ----------------------------------------------------------------------------
#
# UTS #39 defines skeleton(X) = NFD(map(NFD(X))) where `map` sends each character to the prototype of
# its confusable class ("а" Cyrillic -> "a", "0" -> "O", "I" -> "l", "m" -> "rn"). That skeleton is
# case-sensitive, and Causette wants "ALICE" and "alice" to be one name. Case-folding before or after
# the mapping is not enough: "I" is confusable with "l" but case-equal to "i", so ALICE and alice only
# meet if the classes of "i" and "l" are merged. The table below therefore merges confusable classes
# along case pairs:
#   - always for ASCII letters (A~a, I~i), which merges i/l/1/I/| into one class on purpose;
#   - for other scripts only when the merge does not fuse two different ASCII classes. Greek "Ν"
#     looks like N but its lower case "ν" looks like v; merging blindly would make "nina" equal
#     "viva". In such a conflict the visual match with Latin wins, because impersonating a Latin
#     name is the threat; the cost is that those few Greek/Cyrillic letters are not case-folded.
# Each class is represented by one of its prototypes, preferring ASCII, then the longest (so that
# "rn" typed literally still equals "m"), then the smallest. Everything is iterated in sorted order:
# skeletons are shared keys between cluster nodes and must not depend on hash randomisation.


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _fold(text: str) -> str:
    return _nfd(_nfd(text).casefold())


def _without_direction_marks(text: str) -> str:
    # The package parsed its data from the comments of confusables.txt, where right-to-left
    # characters are wrapped in LEFT-TO-RIGHT / RIGHT-TO-LEFT MARKs for display.
    return text.replace("\u200e", "").replace("\u200f", "")


def _uts39_prototypes() -> dict[str, str]:
    """Return the UTS #39 mapping source character -> prototype string.

    `confusable_homoglyphs` ships confusables.txt as an undirected graph: for each line
    `source -> prototype` it appended each side to the other's list, in file order. Every class is
    therefore a star around its prototype, and a source has exactly one neighbour. When both ends of a
    pair have a single neighbour, the source is the one whose key was created first (it is written
    first on its line).
    """
    text = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    raw: dict[str, list[dict[str, str]]] = json.loads(text)
    graph: dict[str, list[str]] = {}
    for key, entries in raw.items():
        node = _without_direction_marks(key)
        if node:
            graph[node] = [_without_direction_marks(entry["c"]) for entry in entries]
    position = {node: index for index, node in enumerate(graph)}

    prototypes: dict[str, str] = {}
    for node, neighbours in graph.items():
        if len(node) != 1 or len(neighbours) != 1:
            continue
        target = neighbours[0]
        if target not in graph or target == node:
            continue
        if len(graph[target]) > 1 or position[node] < position[target]:
            prototypes[node] = target
    return prototypes


class _Classes:
    """Union-find over strings, remembering which ASCII prototypes each class holds."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.ascii_anchors: dict[str, frozenset[str]] = {}

    def add(self, node: str, anchor: str | None) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.ascii_anchors[node] = frozenset()
        if anchor is not None and anchor.isascii():
            root = self.find(node)
            self.ascii_anchors[root] = self.ascii_anchors[root] | {anchor}

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str, *, keep_ascii_apart: bool) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        anchors_a, anchors_b = self.ascii_anchors[root_a], self.ascii_anchors[root_b]
        if keep_ascii_apart and anchors_a and anchors_b and anchors_a != anchors_b:
            return
        self.parent[root_a] = root_b
        self.ascii_anchors[root_b] = anchors_a | anchors_b
        del self.ascii_anchors[root_a]


def _representative(candidates: Iterable[str]) -> str:
    return min(candidates, key=lambda s: (not s.isascii(), -len(s), s))


def _apply(text: str, table: dict[int, str]) -> str:
    # The second translate catches characters that only become mappable once case-folded.
    text = _nfd(text).translate(table)
    text = _nfd(text.casefold()).translate(table)
    return _nfd(text)


def _build_table(prototypes: dict[str, str]) -> dict[int, str]:
    def anchor(node: str) -> str | None:
        # A UTS #39 source is never a prototype, so it cannot represent its class.
        return None if node in prototypes else _fold(node)

    classes = _Classes()
    nodes = sorted(set(prototypes) | set(prototypes.values()) | set(string.ascii_letters))
    for node in nodes:
        classes.add(node, anchor(node))
    for source in sorted(prototypes):
        classes.union(source, prototypes[source], keep_ascii_apart=False)
    for node in nodes:
        folded = _fold(node)
        if folded != node:
            classes.add(folded, anchor(folded))
            classes.union(node, folded, keep_ascii_apart=not node.isascii())

    members: dict[str, list[str]] = {}
    for node in sorted(classes.parent):
        members.setdefault(classes.find(node), []).append(node)

    table: dict[int, str] = {}
    for group in members.values():
        candidates = [a for a in map(anchor, group) if a is not None] or [_fold(min(group))]
        representative = _representative(candidates)
        for node in group:
            if len(node) == 1 and node != representative:
                table[ord(node)] = representative

    # Representatives may contain characters that are themselves mapped ("ǉ" -> "lj" with l ~ i);
    # iterate until every entry is a fixed point, so that skeleton(skeleton(x)) == skeleton(x).
    final: dict[int, str] = {}
    for codepoint, representative in table.items():
        value = representative
        for _ in range(8):
            following = _apply(value, table)
            if following == value:
                break
            value = following
        if value != chr(codepoint):
            final[codepoint] = value
    return final


_SKELETON_TABLE: Final = _build_table(_uts39_prototypes())


def skeleton(name: str) -> str:
    """Return the case-insensitive confusable skeleton of `name` (UTS #39, see the notes above).

    Two names with the same skeleton look alike to a reader: "Alice", "ALICE", "Аlice" (Cyrillic А),
    "AIice" (capital i) and "A1ice" all give the same string. Separators are kept (each mapped to
    its own prototype), so "al_ice" and "alice" are different names. The result is a key, not text
    to display.
    """
    return _apply(name, _SKELETON_TABLE)


# --- Reserved names ---------------------------------------------------------------------------------

_MIN_CONTAINED_LETTERS: Final = 4
_SEPARATOR_SKELETONS: Final = {ord(ch): None for sep in sorted(_SEPARATORS) for ch in skeleton(sep)}


def _reserved_key(name: str) -> str:
    # Accents and separators are dropped so that "Le.Modo", "mödo" and "m o d o" all read "modo".
    text = skeleton(unicodedata.normalize("NFKC", name)).translate(_SEPARATOR_SKELETONS)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "M")


def _load_reserved() -> tuple[frozenset[str], tuple[str, ...]]:
    text = (
        resources.files("causette.domain")
        .joinpath("data")
        .joinpath("reserved_pseudonyms.txt")
        .read_text("utf-8")
    )
    exact: set[str] = set()
    contained: set[str] = set()
    for line in text.splitlines():
        word = line.split("#", 1)[0].strip()
        if not word:
            continue
        key = _reserved_key(word)
        exact.add(key)
        # Counted on the word as written: the skeleton may be longer ("m" becomes "rn").
        if sum(1 for ch in word if ch not in _SEPARATORS) >= _MIN_CONTAINED_LETTERS:
            contained.add(key)
    # "admin" already catches "administrateur": keep only the shortest words to scan fewer of them.
    minimal = sorted(k for k in contained if not any(other != k and other in k for other in contained))
    return frozenset(exact), tuple(minimal)


_RESERVED_EXACT, _RESERVED_CONTAINED = _load_reserved()


def is_reserved(name: str) -> bool:
    """Tell whether `name` is, or contains, a reserved name (see data/reserved_pseudonyms.txt).

    Short reserved words (under 4 letters, such as "bot") match only the whole name; longer ones also
    match inside it, so "admin_42" and "Le.Modo" are reserved, and so, knowingly, is "Teamwork".
    """
    key = _reserved_key(name)
    return key in _RESERVED_EXACT or any(word in key for word in _RESERVED_CONTAINED)


def validate_pseudonym(raw: str) -> tuple[str, str]:
    """Return (display name, skeleton) for a pseudonym typed at entry, or raise DomainError.

    Codes: "pseudonym_invalid" (form) and "pseudonym_reserved". Uniqueness among living sessions is
    not checked here; callers compare the returned skeleton.
    """
    display = normalise_pseudonym(raw)
    if is_reserved(display):
        raise DomainError("pseudonym_reserved", _MSG_RESERVED)
    return display, skeleton(display)
