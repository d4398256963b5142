"""The values the decision core returns. Rendering (text, JSON, PR bodies) happens elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from autoopt.values import Candidate, Estimate, Reason, Summary

RiskLevel = Literal["low", "medium", "high", "critical"]


class DecisionKind(StrEnum):
    PROPOSE = "propose"
    NO_CHANGE = "no_change"
    ROLLBACK = "rollback"  # a safety rule fired against the current stable
    BLOCK = "block"  # a rule forbids any change now


@dataclass(frozen=True)
class Violation:
    metric: str
    bound: Literal["min", "max"]
    limit: float
    value: float
    hard: bool
    probability: float  # probability the bound is broken, from the estimate's uncertainty

    @property
    def label(self) -> str:
        op = "<" if self.bound == "min" else ">"
        return f"{self.metric} {self.value:.4g} {op} {self.limit:.4g}"


@dataclass(frozen=True)
class Assessment:
    """One candidate scored against a policy (measured or predicted)."""

    candidate: Candidate
    metrics: Mapping[str, Estimate]
    n: int
    feasible: bool
    violations: tuple[Violation, ...]
    penalty: float
    score: float  # weighted relative improvement over the baseline, minus soft penalties
    pareto_rank: int  # 0 = first front among feasible candidates; -1 when infeasible
    predicted: bool = False  # True when scored by the performance model, not measured
    needs_evaluation: tuple[str, ...] = ()  # metrics with no evidence (e.g. quality)
    improvement: Estimate | None = None  # weighted relative improvement, with its uncertainty
    risk: float = 0.0  # P(some hard constraint is broken), from the estimates' uncertainty

    @property
    def eligible(self) -> bool:
        """Feasible and scored on every objective: may be ranked, picked and proposed."""
        return self.feasible and not self.needs_evaluation


@dataclass(frozen=True)
class PredictedMetric:
    estimate: Estimate
    delta: float  # relative change against the current stable (signed: -0.4 = 40% lower)


@dataclass(frozen=True)
class Alternative:
    candidate: Candidate
    score: float
    tradeoff: str  # e.g. "−38% cost, −2.1 quality"


@dataclass(frozen=True)
class RolloutPlan:
    kind: Literal["canary", "blue-green", "ab"]
    steps: tuple[int, ...]
    durations: tuple[timedelta, ...]
    max_stage_time: timedelta


@dataclass(frozen=True)
class Proposal:
    current: Candidate
    target: Candidate  # target.version is values.version_id(target.params)
    predicted: Mapping[str, PredictedMetric]
    improvement: Estimate  # weighted relative improvement (0.35 = 35%)
    confidence: float  # P(improvement >= min_improvement)
    risk: float  # P(some hard constraint is broken)
    risk_level: RiskLevel
    rollout: RolloutPlan
    triggers: Mapping[str, float]  # error_rate_increase, latency_p95_increase, ...
    rationale: tuple[str, ...]
    alternatives: tuple[Alternative, ...] = ()
    requires_approval: bool = False  # a require_approval rule fired, or the risk is high


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    service: str
    policy: str
    current: Candidate
    proposal: Proposal | None
    reasons: tuple[Reason, ...]
    assessments: tuple[Assessment, ...] = ()  # the evidence: every candidate considered
    summaries: tuple[Summary, ...] = ()
    degraded: tuple[str, ...] = field(default=())  # e.g. ("search_failed",): what fell back
