"""The safety engine: a pure function of a message and its context, run inline on every message.

check(text, context) → Decision(action, labels, reasons, evidence, effects). No I/O: the
lexicons and the policy are loaded once, the context (ages, channel, recent messages of the
conversation, the sender's recent activity) is kept in memory by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import itemgetter, or_
from pathlib import Path

import phonenumbers

from causette.safety.lexicon import SEVERITIES, Lexicon, Rule, load_lexicon
from causette.safety.normalise import Normalised, normalise
from causette.safety.policy import Action, Effects, Policy, load_policy

ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class Recent:
    """A recent message of the conversation, as the engine saw it."""

    from_sender: bool  # written by the sender of the message being checked
    groups: frozenset[str]


@dataclass(frozen=True, slots=True)
class Context:
    channel: str = "room"  # room | pm | request (a private-message request) | name (pseudonym, room name)
    sender_age: int | None = None
    recipient_age: int | None = None
    # The platform refuses minors at entry, so a minor is usually one who said so in chat
    # (label minor_self_disclosure): the caller remembers it per session.
    sender_apparent_minor: bool = False
    recipient_apparent_minor: bool = False
    new_contact: bool = False
    recent: tuple[Recent, ...] = ()
    # The same text sent by the sender in the last minutes (spam by repetition).
    repeated: bool = False
    # Conversations the sender opened with strangers in the last hour (mass first contacts).
    first_contacts: int = 0
    # Labels the sender's recent messages got (harassment repeated → hold).
    sender_recent_labels: frozenset[str] = frozenset()

    @property
    def recipient_minor(self) -> bool:
        return self.recipient_apparent_minor or (
            self.recipient_age is not None and self.recipient_age < ADULT_AGE
        )

    @property
    def sender_minor(self) -> bool:
        return self.sender_apparent_minor or (self.sender_age is not None and self.sender_age < ADULT_AGE)


@dataclass(frozen=True, slots=True)
class Evidence:
    label: str
    group: str
    start: int  # span in the normalised `words` view
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    labels: tuple[str, ...] = ()
    severities: dict[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    groups: frozenset[str] = frozenset()
    effects: Effects = field(default_factory=Effects)

    @property
    def allowed(self) -> bool:
        return self.action in (Action.ALLOW, Action.WARN)


ALLOW = Decision(Action.ALLOW)


class SafetyEngine:
    def __init__(self, lexicon: Lexicon, policy: Policy) -> None:
        self.lexicon = lexicon
        self.policy = policy
        # Rules are indexed by a group they cannot apply without (the first of `when`, or each
        # of `any`), so that a message is tested only against the rules its hits make possible;
        # rules on context alone are always tested.
        self._by_group: dict[str, list[Rule]] = {}
        self._always: list[Rule] = []
        for rule in lexicon.rules:
            if rule.when:
                self._by_group.setdefault(rule.when[0], []).append(rule)
            elif rule.any:
                for g in rule.any:
                    self._by_group.setdefault(g, []).append(rule)
            else:
                self._always.append(rule)

    @classmethod
    def default(cls, lexicon_dir: str = "", policy_file: str = "") -> SafetyEngine:
        return cls(load_lexicon(Path(lexicon_dir) if lexicon_dir else None), load_policy(policy_file))

    # --- matching -----------------------------------------------------------------------------
    def hits(self, norm: Normalised) -> dict[str, list[tuple[int, int]]]:
        """Group name → spans in the `words` view."""
        found: dict[str, list[tuple[int, int]]] = {}
        words = norm.words
        for end, (length, groups) in self.lexicon.automaton.iter(words):
            span = (end - length + 1, end + 1)
            for g in groups:
                found.setdefault(g, []).append(span)
        self.pattern_hits(norm, found)
        phone = _phone_number(words)
        if phone is not None:
            found["builtin.phone"] = [phone]
        return found

    def pattern_hits(self, norm: Normalised, found: dict[str, list[tuple[int, int]]]) -> None:
        """Add the hits of the regular expressions; each runs only if its prefilter allows."""
        lex = self.lexicon
        for text, prefilter, patterns in (
            (norm.words, lex.words_prefilter, lex.patterns),
            (norm.plain, lex.plain_prefilter, lex.plain_patterns),
        ):
            # Bit i set: pattern i may match (it has no prefilter literal, or one is in the text).
            todo = prefilter.always
            if prefilter.automaton is not None:
                # Folded in C (reduce, map, itemgetter): dozens of literal hits per message.
                todo = reduce(or_, map(_VALUE, prefilter.automaton.iter(text)), todo)
            while todo:
                low = todo & -todo
                todo ^= low
                group, pattern = patterns[low.bit_length() - 1]
                m = pattern.search(text)
                if m is not None:
                    found.setdefault(group, []).append(m.span())

    # --- decision -----------------------------------------------------------------------------
    def check(self, text: str, ctx: Context = Context()) -> Decision:
        norm = normalise(text)
        found = self.hits(norm)
        groups = frozenset(found)
        recent_mine: set[str] = set()
        recent_any: set[str] = set()
        recent_other: set[str] = set()
        for r in ctx.recent:
            recent_any |= r.groups
            if not r.from_sender:
                recent_other |= r.groups
            if r.from_sender:
                recent_mine |= r.groups
        matched: dict[str, tuple[str, list[str]]] = {}  # label -> (severity, reasons)
        candidates: list[Rule] = list(self._always)
        seen: set[int] = set()
        for g in groups:
            for rule in self._by_group.get(g, ()):
                if id(rule) not in seen:
                    seen.add(id(rule))
                    candidates.append(rule)
        for rule in candidates:
            if _applies(rule, groups, ctx, recent_mine, recent_any, recent_other):
                label = rule.label
                severity, reasons = matched.get(label, ("low", []))
                if SEVERITIES.index(rule.severity) >= SEVERITIES.index(severity):
                    severity = rule.severity
                if rule.reason and rule.reason not in reasons:
                    reasons.append(rule.reason)
                matched[label] = (severity, reasons)
        if not matched:
            return Decision(Action.ALLOW, groups=groups)
        evidence = tuple(
            Evidence(g.split(".", 1)[0], g, s, e, norm.words[s:e].strip())
            for g, spans in found.items()
            if g.split(".", 1)[0] in matched or g.startswith("builtin.")
            for s, e in spans[:3]
        )
        labels = tuple(sorted(matched))
        severities = {label: matched[label][0] for label in labels}
        action, effects = self.policy.decide(
            severities, ctx.channel, ctx.recipient_minor, ctx.sender_recent_labels, ctx.sender_minor
        )
        all_reasons = tuple(dict.fromkeys(r for label in labels for r in matched[label][1]))
        return Decision(action, labels, severities, all_reasons, evidence, groups, effects)


def _applies(
    rule: Rule,
    groups: frozenset[str],
    ctx: Context,
    recent_mine: set[str],
    recent_any: set[str],
    recent_other: set[str],
) -> bool:
    if rule.channel and ctx.channel not in rule.channel:
        return False
    for g in rule.when:
        if g not in groups:
            return False
    if rule.any and not any(g in groups for g in rule.any):
        return False
    for g in rule.unless:
        if g in groups:
            return False
    if rule.recipient_minor is not None and ctx.recipient_minor != rule.recipient_minor:
        return False
    if rule.sender_minor is not None and ctx.sender_minor != rule.sender_minor:
        return False
    if rule.new_contact is not None and ctx.new_contact != rule.new_contact:
        return False
    if rule.recent and not any(g in recent_mine for g in rule.recent):
        return False
    if rule.recent_any and not any(g in recent_any for g in rule.recent_any):
        return False
    if rule.recent_other and not any(g in recent_other for g in rule.recent_other):
        return False
    if rule.min_first_contacts and ctx.first_contacts < rule.min_first_contacts:
        return False
    return rule.repeated is None or ctx.repeated == rule.repeated


_NON_DIGIT = re.compile(r"[^0-9]+")
_VALUE = itemgetter(1)


def _phone_number(words: str) -> tuple[int, int] | None:
    """A phone number written with digits or number words ("zero six douze …"): runs of digit
    tokens joined and checked by libphonenumber (French numbering plan by default)."""
    if len(_NON_DIGIT.sub("", words)) < 9:
        return None
    tokens = words.split(" ")
    pos = 0
    run: list[str] = []
    start = 0
    for tok in [*tokens, ""]:
        if tok.isdigit():
            if not run:
                start = pos
            run.append(tok)
        elif run:
            number = "".join(run)
            if 9 <= len(number) <= 15 and _valid_phone(number):
                return (start, pos - 1)
            run = []
        pos += len(tok) + 1
    return None


def _valid_phone(number: str) -> bool:
    candidates = [number]
    if not number.startswith("0"):
        candidates.append("+" + number)
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, "FR")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True
    return False
