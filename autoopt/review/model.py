"""The values of a review: what changed between two refs, what it is predicted to do, and the
verdict. Plain frozen data; ``render.py`` turns it into Markdown, JSON or text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from autoopt.errors import Location, Problem
from autoopt.values import Estimate


class Outcome(StrEnum):
    """A verdict, and the conclusion of the ``autoopt/review`` check run it becomes."""

    SUCCESS = "success"  # within policy (or nothing to predict)
    NEUTRAL = "neutral"  # cannot predict: why is in the verdict
    FAILURE = "failure"  # a hard constraint predicted broken beyond maxRisk, or invalid documents

    @property
    def rank(self) -> int:
        return {"success": 0, "neutral": 1, "failure": 2}[self.value]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    code: str  # within_policy | breaks_constraint | cannot_predict | no_params_change | invalid
    text: str  # the one line people read

    @staticmethod
    def worst(verdicts: list[Verdict]) -> Outcome:
        return max((v.outcome for v in verdicts), key=lambda o: o.rank, default=Outcome.SUCCESS)


@dataclass(frozen=True)
class FieldChange:
    """A field the change touched, where it is at the head (for annotations), old → new."""

    field: str  # dotted: spec.stable.params.model
    location: Location
    old: Any
    new: Any


@dataclass(frozen=True)
class Impact:
    """One metric: the current stable, the change, and the change's delta (relative; absolute
    in probability for ``error_rate``), each with its 95% interval; None when not predicted."""

    metric: str
    stable: Estimate | None
    candidate: Estimate | None
    delta: Estimate | None


@dataclass(frozen=True)
class ConstraintRisk:
    """One hard constraint of the policy against the prediction: P(broken), or None when the
    metric was not predicted."""

    metric: str
    bound: str  # "≥ 85", "≤ 2000"
    predicted: Estimate | None
    probability: float | None


@dataclass(frozen=True)
class ConfigReview:
    path: str  # repository-relative, posix
    service: str
    policy: str | None
    change: str  # stable | canary | rollout_removed | params_unchanged | added | deleted
    stable_version: str | None  # the current stable (at the base)
    stable_params: Mapping[str, Any]
    candidate_version: str | None
    candidate_params: Mapping[str, Any]
    fields: tuple[FieldChange, ...]
    impacts: tuple[Impact, ...] = ()
    constraints: tuple[ConstraintRisk, ...] = ()
    risk: float | None = None
    max_risk: float | None = None
    strategy: str | None = None
    verdict: Verdict = field(default_factory=lambda: Verdict(Outcome.SUCCESS, "", ""))
    simulation: str = ""  # how the prediction was made (requests, hours, source, seed)
    mid_rollout: str = ""  # non-empty: this config is mid-rollout and was changed by hand
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionBrief:
    """What a policy decides today, in a few numbers (or why it cannot decide)."""

    kind: str  # propose | no_change | rollback | block | ... | error
    target_version: str | None = None
    target_params: Mapping[str, Any] = field(default_factory=dict)  # those it changes
    improvement: Estimate | None = None
    confidence: float | None = None
    risk: float | None = None
    reasons: tuple[tuple[str, str], ...] = ()  # (code, message)


@dataclass(frozen=True)
class PolicyReview:
    path: str
    name: str
    service: str | None
    change: str  # changed | added | deleted
    fields: tuple[FieldChange, ...]
    old: DecisionBrief | None
    new: DecisionBrief | None
    verdict: Verdict


@dataclass(frozen=True)
class SettingsReview:
    path: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class Review:
    base: str  # as given
    head: str
    base_sha: str
    head_sha: str
    changed: tuple[str, ...]  # every reviewed path (relative to the GitOps directory)
    problems: tuple[Problem, ...]  # validation at the head (errors and warnings)
    configs: tuple[ConfigReview, ...] = ()
    policies: tuple[PolicyReview, ...] = ()
    settings: SettingsReview | None = None
    metrics: str = ""  # the metrics source, described
    now: str = ""
    prefix: str = ""  # the GitOps directory inside the git work tree ("" at its root)

    def repo_path(self, path: str) -> str:
        """``path`` relative to the git work tree (where GitHub puts annotations)."""
        return f"{self.prefix}/{path}" if self.prefix else path

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def verdicts(self) -> list[Verdict]:
        found = [c.verdict for c in self.configs] + [p.verdict for p in self.policies]
        if self.errors:
            count = len(self.errors)
            found.append(Verdict(Outcome.FAILURE, "invalid", f"{count} validation error(s)"))
        return found

    @property
    def outcome(self) -> Outcome:
        return Verdict.worst(self.verdicts)
