"""The policy: what each label (and severity) does. A TOML file operators change without code.

Actions, from the mildest: `allow` (delivered), `warn` (delivered, the sender gets a notice),
`hold` (stored apart, shown to no one but the sender and the moderators until reviewed), `block`
(refused, with the reason). Side effects: open a moderation case, escalate to the authorities'
queue, restrict the sender (no private messages), notify the recipient with a safety notice.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


class Action(enum.IntEnum):
    ALLOW = 0
    WARN = 1
    HOLD = 2
    BLOCK = 3

    @property
    def wire(self) -> str:
        return self.name.lower()


class PolicyError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Effects:
    case: bool = False
    escalate: bool = False
    restrict_sender: str = ""  # "private_messages"
    notify_recipient: tuple[str, ...] = ()  # notice codes for the recipient(s)
    warn_codes: tuple[str, ...] = ()  # notice codes for the sender


@dataclass(frozen=True, slots=True)
class LabelPolicy:
    action: Action
    case: bool = False
    escalate: bool = False
    restrict_sender: str = ""
    notify_recipient: str = ""
    notify_channels: tuple[str, ...] = ("pm", "request")
    # When the recipient is or seems a minor.
    minor_action: Action | None = None
    # When the sender is or seems a minor (a minor handing out their contact, say).
    minor_sender_action: Action | None = None
    # When the sender's recent messages already had this label.
    repeat_action: Action | None = None
    by_severity: Mapping[str, Action] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    labels: Mapping[str, LabelPolicy]

    def decide(
        self,
        severities: Mapping[str, str],
        channel: str,
        recipient_minor: bool,
        sender_recent_labels: frozenset[str],
        sender_minor: bool = False,
    ) -> tuple[Action, Effects]:
        action = Action.ALLOW
        case = escalate = False
        restrict = ""
        notify: list[str] = []
        warn: list[str] = []
        for label, severity in severities.items():
            lp = self.labels.get(label)
            if lp is None:
                # A label with no policy is held: a new lexicon must not go unseen.
                lp = LabelPolicy(Action.HOLD, case=True)
            a = lp.by_severity.get(severity, lp.action)
            if lp.minor_action is not None and recipient_minor:
                a = max(a, lp.minor_action)
            if lp.minor_sender_action is not None and sender_minor:
                a = max(a, lp.minor_sender_action)
            if lp.repeat_action is not None and label in sender_recent_labels:
                a = max(a, lp.repeat_action)
            action = max(action, a)
            case = case or lp.case
            escalate = escalate or lp.escalate
            restrict = restrict or lp.restrict_sender
            if lp.notify_recipient and channel in lp.notify_channels:
                notify.append(lp.notify_recipient)
            if a is Action.WARN:
                warn.append(f"safety_warning_{label}")
        return action, Effects(case, escalate, restrict, tuple(dict.fromkeys(notify)), tuple(warn))


def _action(value: Any, where: str) -> Action:
    try:
        return Action[str(value).upper()]
    except KeyError:
        raise PolicyError(f"{where}: action must be allow, warn, hold or block, not {value!r}") from None


def parse_policy(text: str, name: str = "policy.toml") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{name}: {exc}") from exc
    labels: dict[str, LabelPolicy] = {}
    known = {
        "action",
        "case",
        "escalate",
        "restrict_sender",
        "notify_recipient",
        "notify_channels",
        "minor_action",
        "minor_sender_action",
        "repeat_action",
        "severity",
    }
    for label, raw in data.get("labels", {}).items():
        where = f"{name}: labels.{label}"
        if not isinstance(raw, dict):
            raise PolicyError(f"{where}: must be a table")
        extra = set(raw) - known
        if extra:
            raise PolicyError(f"{where}: unknown keys {sorted(extra)}")
        by_severity = {
            sev: _action(a, f"{where}.severity.{sev}") for sev, a in raw.get("severity", {}).items()
        }
        labels[label] = LabelPolicy(
            action=_action(raw.get("action", "hold"), where),
            case=bool(raw.get("case", False)),
            escalate=bool(raw.get("escalate", False)),
            restrict_sender=str(raw.get("restrict_sender", "")),
            notify_recipient=str(raw.get("notify_recipient", "")),
            notify_channels=tuple(raw.get("notify_channels", ("pm", "request"))),
            minor_action=_action(raw["minor_action"], where) if "minor_action" in raw else None,
            minor_sender_action=(
                _action(raw["minor_sender_action"], where) if "minor_sender_action" in raw else None
            ),
            repeat_action=_action(raw["repeat_action"], where) if "repeat_action" in raw else None,
            by_severity=by_severity,
        )
    return Policy(labels)


def load_policy(path: str = "") -> Policy:
    if path:
        try:
            return parse_policy(Path(path).read_text(encoding="utf-8"), path)
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"cannot read safety policy {path}: {exc}") from exc
    text = resources.files("causette.safety").joinpath("policy.toml").read_text(encoding="utf-8")
    return parse_policy(text)
