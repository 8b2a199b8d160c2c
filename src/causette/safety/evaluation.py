"""Offline evaluation of the engine: precision and recall per label on a labelled JSONL set.

Targets (issue 4): recall ≥ 0.95 on the child-safety and sexual-violence labels, ≥ 0.9 on the
others, and at most 1 % of benign messages held or blocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from causette.safety.engine import Context, Decision, SafetyEngine
from causette.safety.policy import Action

CRITICAL_LABELS = ("minor_sexual", "grooming", "minor_self_disclosure", "sexual_violence")
CRITICAL_RECALL = 0.95
OTHER_RECALL = 0.90
MAX_BENIGN_STOPPED = 0.01


def context_of(item: Mapping[str, Any]) -> Context:
    channel = str(item.get("channel") or "room")
    sender_age = item.get("sender_age")
    recipient_age = item.get("recipient_age")
    return Context(
        channel=channel,
        sender_age=sender_age if isinstance(sender_age, int) else None,
        recipient_age=recipient_age if isinstance(recipient_age, int) else None,
    )


def classify(engine: SafetyEngine, item: Mapping[str, Any]) -> Decision:
    return engine.check(str(item.get("text", "")), context_of(item))


@dataclass(slots=True)
class LabelScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(slots=True)
class Report:
    labels: dict[str, LabelScore] = field(default_factory=dict)
    total: int = 0
    benign: int = 0
    benign_stopped: int = 0
    misses: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)  # id, text, want, got

    @property
    def benign_stopped_rate(self) -> float:
        return self.benign_stopped / self.benign if self.benign else 0.0

    def target(self, label: str) -> float:
        return CRITICAL_RECALL if label in CRITICAL_LABELS else OTHER_RECALL

    @property
    def targets_met(self) -> bool:
        return (
            all(s.recall >= self.target(label) for label, s in self.labels.items())
            and self.benign_stopped_rate <= MAX_BENIGN_STOPPED
        )

    def render(self) -> str:
        lines = [f"{'label':<24}{'support':>8}{'precision':>11}{'recall':>8}{'target':>8}  ", "-" * 62]
        for label in sorted(self.labels):
            s = self.labels[label]
            ok = "ok" if s.recall >= self.target(label) else "MISSED"
            lines.append(
                f"{label:<24}{s.tp + s.fn:>8}{s.precision:>11.3f}{s.recall:>8.3f}"
                f"{self.target(label):>8.2f}  {ok}"
            )
        lines.append("-" * 62)
        ok = "ok" if self.benign_stopped_rate <= MAX_BENIGN_STOPPED else "MISSED"
        lines.append(
            f"benign held or blocked: {self.benign_stopped}/{self.benign} "
            f"= {self.benign_stopped_rate:.2%} (target ≤ {MAX_BENIGN_STOPPED:.0%})  {ok}"
        )
        lines.append(f"messages: {self.total}; all targets {'met' if self.targets_met else 'NOT met'}")
        return "\n".join(lines)


def evaluate(engine: SafetyEngine, items: Iterable[Mapping[str, Any]], labels: Iterable[str]) -> Report:
    report = Report(labels={label: LabelScore() for label in labels})
    for item in items:
        want = set(item.get("labels") or [])
        decision = classify(engine, item)
        got = set(decision.labels)
        report.total += 1
        if not want:
            report.benign += 1
            if decision.action >= Action.HOLD:
                report.benign_stopped += 1
        for label in want | got:
            score = report.labels.setdefault(label, LabelScore())
            if label in want and label in got:
                score.tp += 1
            elif label in got:
                score.fp += 1
            else:
                score.fn += 1
        if want != got:
            report.misses.append(
                (str(item.get("id", "")), str(item.get("text", "")), sorted(want), sorted(got))
            )
    return report
