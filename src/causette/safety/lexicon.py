"""Lexicons: the reviewed data files of `safety/lexicons/<label>.toml`, compiled for one pass.

A lexicon file names a label and holds:

- `[groups]`: named lists of terms. A term is matched as whole words on the normalised `words`
  view (so write it plainly: accents, case, doubled letters and leetspeak do not matter). A term
  ending with `*` matches any word beginning (`vend*`: vend, vends, vendre, vendeur).
- `[patterns]`: named regular expressions (Python `re`) on the `words` view, which is lower
  case ASCII words and digits separated by single spaces and padded with one space at each end;
  doubled letters are folded ("grosse" is "grose" there). A pattern hit counts as a group hit.
- `[plain_patterns]`: the same on the `plain` view (punctuation kept): handles, links, prices.
- `[[rules]]`: when the label applies. Each rule has `when` (groups that must all hit; a name
  without a dot is a group of this file, `label.group` one of another file), optional `any`
  (at least one of these must hit), `unless` (none of these may hit), context conditions
  (`channel`, `recipient_minor`, `sender_minor`, `new_contact`, `recent` — groups hit by the
  sender's recent messages in the conversation, at least one —, `recent_other` — the same in
  the other people's recent messages —, `recent_any` — the same in
  anyone's recent messages —, `min_first_contacts`, `repeated`), a `severity` (low, medium,
  high) and a `reason` shown to the sender and the moderators.

Every term of every file goes into one Aho-Corasick automaton: a message is scanned once,
whatever the number of terms.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

from causette.safety.normalise import normalise_term

SEVERITIES = ("low", "medium", "high")
# Groups hit by detectors written in code rather than data (see engine.py).
BUILTIN_GROUPS = frozenset({"builtin.phone"})
CHANNELS = ("room", "pm", "request", "name")


class LexiconError(Exception):
    """A lexicon file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Rule:
    label: str
    when: tuple[str, ...]
    any: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    recipient_minor: bool | None = None
    sender_minor: bool | None = None
    new_contact: bool | None = None
    recent: tuple[str, ...] = ()
    recent_any: tuple[str, ...] = ()
    recent_other: tuple[str, ...] = ()
    min_first_contacts: int = 0
    repeated: bool | None = None
    severity: str = "medium"
    reason: str = ""


# A literal a pattern cannot match without is searched first, with all the others, in one
# Aho-Corasick pass; the pattern itself runs only when its literal is in the text. Too many
# alternatives make a poor filter: such patterns always run.
MAX_PREFILTER_ALTERNATIVES = 512


def _selectivity(options: set[str]) -> tuple[int, int]:
    """How rarely a set of literals is expected in text: the shortest one counts most (a
    two-letter literal is in most messages, a six-letter one in few), then fewer options."""
    # A space around a literal makes it a whole word: rarer than the same letters inside words.
    # Digits are rarer than letters in chat: each counts double.
    shortest = min(
        len(o.strip()) + sum(c.isdigit() for c in o) + (len(o) > len(o.strip())) if o.strip() else len(o)
        for o in options
    )
    if all(not o.isascii() for o in options):
        shortest = max(shortest, 4)  # emoji and other symbols are rare in chat text
    return (min(shortest, 6), -len(options))


def _useful(lit: str) -> bool:
    return len(lit) >= 2 or (len(lit) == 1 and (not lit.isascii() or lit.isdigit()))


def _exact(items: Any) -> set[str] | None:
    """The finite set of strings this sequence matches, if it is made of literals, small
    character classes and groups of such alternatives only; else None."""
    out = {""}
    for op, av in items:
        if op is sre_constants.LITERAL:
            options = {chr(av)}
        elif op is sre_constants.SUBPATTERN:
            options = _exact(av[-1])  # type: ignore[assignment]
        elif op is sre_constants.BRANCH:
            options = set()
            for branch in av[1]:
                sub = _exact(branch)
                if sub is None:
                    return None
                options |= sub
        elif op is sre_constants.IN:
            chars: set[str] = set()
            for o, v in av:
                if o is sre_constants.LITERAL:
                    chars.add(chr(v))
                elif o is sre_constants.RANGE and v[1] - v[0] < 10:
                    chars.update(chr(c) for c in range(v[0], v[1] + 1))
                else:
                    return None
            if len(chars) > 10:
                return None
            options = chars
        else:
            return None
        if options is None:
            return None
        out = {a + b for a in out for b in options}
        if len(out) > MAX_PREFILTER_ALTERNATIVES:
            return None
    return out


def _alternatives(items: Any) -> set[str] | None:
    """The literals one of which every match of this sequence contains, or None."""
    best: set[str] | None = None
    # Exact strings the match holds contiguously up to here: a literal run, possibly through
    # groups of literal alternatives (" (?:ta|ton) " gives " ta ", " ton ").
    exact: set[str] | None = None

    def consider(options: set[str] | None) -> None:
        nonlocal best
        if not options or not all(_useful(o) for o in options) or len(options) > MAX_PREFILTER_ALTERNATIVES:
            return
        if best is None or _selectivity(options) > _selectivity(best):
            best = options

    for item in items:
        op, av = item
        step = _exact([item])
        if step is not None:
            exact = {a + b for a in (exact or {""}) for b in step}
            if len(exact) > MAX_PREFILTER_ALTERNATIVES:
                exact = step if len(step) <= MAX_PREFILTER_ALTERNATIVES else None
            if op is not sre_constants.LITERAL:
                consider(step)
            continue
        consider(exact)
        exact = None
        if op is sre_constants.SUBPATTERN:
            consider(_alternatives(av[-1]))
        elif op is sre_constants.BRANCH:
            branches = [_alternatives(b) for b in av[1]]
            if all(b is not None for b in branches):
                consider(set().union(*[b for b in branches if b is not None]))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and av[0] >= 1:
            consider(_alternatives(av[2]))
        elif op is sre_constants.IN:
            chars: set[str] = set()
            for o, v in av:
                if o is sre_constants.LITERAL:
                    chars.add(chr(v))
                elif o is sre_constants.CATEGORY and v is sre_constants.CATEGORY_DIGIT:
                    chars.update("0123456789")
                elif o is sre_constants.RANGE and v[1] - v[0] < 16:
                    chars.update(chr(c) for c in range(v[0], v[1] + 1))
                else:
                    chars = set()
                    break
            consider(chars or None)
    consider(exact)
    return best


def required_literals(pattern: str) -> set[str] | None:
    """Literals one of which is in every text the pattern matches (None: no useful one)."""
    try:
        return _alternatives(sre_parse.parse(pattern).data)
    except (re.error, TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Prefilter:
    """Which patterns of a view may match: bit i stands for pattern i."""

    automaton: Any  # literal -> bits of the patterns that need it; None when no literal
    always: int  # bits of the patterns that have no useful literal and always run


@dataclass(slots=True)
class Lexicon:
    """All labels compiled: the automaton, the patterns and the rules."""

    labels: list[str] = field(default_factory=list)
    automaton: Any = None
    patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    plain_patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    # Required literals of the patterns, per view, searched in one pass before the patterns.
    words_prefilter: Prefilter = field(default_factory=lambda: Prefilter(None, 0))
    plain_prefilter: Prefilter = field(default_factory=lambda: Prefilter(None, 0))
    descriptions: dict[str, str] = field(default_factory=dict)


def _names(value: Any, label: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: expected a list of group names")
    return tuple(v if "." in v else f"{label}.{v}" for v in value)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise LexiconError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def _rule(label: str, raw: dict[str, Any], where: str) -> Rule:
    known = {
        "when",
        "any",
        "unless",
        "channel",
        "recipient_minor",
        "sender_minor",
        "new_contact",
        "recent",
        "recent_any",
        "recent_other",
        "min_first_contacts",
        "repeated",
        "severity",
        "reason",
    }
    extra = set(raw) - known
    if extra:
        raise LexiconError(f"{where}: unknown keys {sorted(extra)}")
    severity = raw.get("severity", "medium")
    if severity not in SEVERITIES:
        raise LexiconError(f"{where}: severity must be one of {SEVERITIES}")
    channel = raw.get("channel", ())
    channels = (channel,) if isinstance(channel, str) else tuple(channel)
    if any(c not in CHANNELS for c in channels):
        raise LexiconError(f"{where}: channel must be among {CHANNELS}")
    rule = Rule(
        label=label,
        when=_names(raw.get("when"), label, where),
        any=_names(raw.get("any"), label, where),
        unless=_names(raw.get("unless"), label, where),
        channel=channels,
        recipient_minor=raw.get("recipient_minor"),
        sender_minor=raw.get("sender_minor"),
        new_contact=raw.get("new_contact"),
        recent=_names(raw.get("recent"), label, where),
        recent_any=_names(raw.get("recent_any"), label, where),
        recent_other=_names(raw.get("recent_other"), label, where),
        min_first_contacts=int(raw.get("min_first_contacts", 0)),
        repeated=raw.get("repeated"),
        severity=severity,
        reason=str(raw.get("reason", "")),
    )
    if not rule.when and not rule.any and not rule.min_first_contacts and rule.repeated is None:
        raise LexiconError(f"{where}: a rule needs `when`, `any`, `min_first_contacts` or `repeated`")
    return rule


def load_lexicon(directory: Path | None = None) -> Lexicon:
    """Load every `<label>.toml` of the directory (default: the packaged lexicons)."""
    if directory is None:
        files = sorted(
            (f.name, f.read_text(encoding="utf-8"))
            for f in resources.files("causette.safety").joinpath("lexicons").iterdir()
            if f.name.endswith(".toml") and f.name != "numbers.toml"
        )
    else:
        files = sorted(
            (p.name, p.read_text(encoding="utf-8"))
            for p in directory.glob("*.toml")
            if p.name != "numbers.toml"
        )
    return compile_lexicon(files)


def load_labels(labels: Iterable[str]) -> Lexicon:
    """Only the packaged lexicons of these labels: to evaluate or test some files on their own,
    whatever the others do."""
    folder = resources.files("causette.safety").joinpath("lexicons")
    return compile_lexicon(
        (f"{label}.toml", folder.joinpath(f"{label}.toml").read_text(encoding="utf-8")) for label in labels
    )


def compile_lexicon(files: Iterable[tuple[str, str]]) -> Lexicon:
    lex = Lexicon()
    automaton = ahocorasick.Automaton()
    keys: dict[str, set[str]] = {}
    for name, text in files:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LexiconError(f"{name}: {exc}") from exc
        label = data.get("label")
        if not isinstance(label, str) or not label:
            raise LexiconError(f"{name}: missing `label`")
        lex.labels.append(label)
        lex.descriptions[label] = str(data.get("description", ""))
        for group, terms in data.get("groups", {}).items():
            qualified = f"{label}.{group}"
            lex.groups.add(qualified)
            if not isinstance(terms, list):
                raise LexiconError(f"{name}: groups.{group} must be a list of terms")
            for term in terms:
                prefix = term.endswith("*")
                norm = normalise_term(term.rstrip("*"))
                if not norm:
                    raise LexiconError(f"{name}: groups.{group}: term {term!r} is empty once normalised")
                key = " " + norm + ("" if prefix else " ")
                keys.setdefault(key, set()).add(qualified)
        for group, pattern in data.get("patterns", {}).items():
            lex.groups.add(f"{label}.{group}")
            lex.patterns.append((f"{label}.{group}", _compile(pattern, f"{name}: patterns.{group}")))
        for group, pattern in data.get("plain_patterns", {}).items():
            lex.groups.add(f"{label}.{group}")
            lex.plain_patterns.append(
                (f"{label}.{group}", _compile(pattern, f"{name}: plain_patterns.{group}"))
            )
        for i, raw in enumerate(data.get("rules", [])):
            lex.rules.append(_rule(label, raw, f"{name}: rules[{i}]"))
    for key, groups in keys.items():
        automaton.add_word(key, (len(key), tuple(sorted(groups))))
    automaton.make_automaton()
    lex.automaton = automaton
    lex.words_prefilter = _prefilter(lex.patterns)
    lex.plain_prefilter = _prefilter(lex.plain_patterns)
    known = lex.groups | BUILTIN_GROUPS
    for rule in lex.rules:
        for g in (*rule.when, *rule.any, *rule.unless, *rule.recent, *rule.recent_any, *rule.recent_other):
            if g not in known:
                raise LexiconError(f"rule of {rule.label}: unknown group {g!r}")
    return lex


def _prefilter(patterns: list[tuple[str, re.Pattern[str]]]) -> Prefilter:
    automaton = ahocorasick.Automaton()
    by_literal: dict[str, int] = {}
    always = 0
    for i, (_group, pattern) in enumerate(patterns):
        literals = None if pattern.flags & re.IGNORECASE else required_literals(pattern.pattern)
        if literals is None:
            always |= 1 << i
            continue
        for lit in literals:
            by_literal[lit] = by_literal.get(lit, 0) | (1 << i)
    for lit, bits in by_literal.items():
        automaton.add_word(lit, bits)
    if by_literal:
        automaton.make_automaton()
        return Prefilter(automaton, always)
    return Prefilter(None, always)
