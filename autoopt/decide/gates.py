"""Strategy gates and the proposal that passes them: confidence, risk level, trade-offs.

* **confidence** = P(improvement − soft penalty ≥ min_improvement), normal approximation
  with the improvement's standard error (exactly 0 or 1 when that error is 0);
* **risk** = P(some hard constraint is broken) (see :mod:`autoopt.decide.score`);
* **risk level**: ``critical`` when risk > max_risk (never proposed), ``high`` when
  risk > max_risk / 2 (proposed only with ``promotion: pr``), ``medium`` when
  risk > max_risk / 5 or the point was predicted rather than measured, ``low`` otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from autoopt.decide.decision import (
    Alternative,
    Assessment,
    PredictedMetric,
    RiskLevel,
    RolloutPlan,
)
from autoopt.decide.score import FLOORS, normal_cdf
from autoopt.spec.models import PolicySpec, Strategy
from autoopt.values import Estimate, Reason


@dataclass(frozen=True)
class GateResult:
    confidence: float
    risk: float
    level: RiskLevel
    failures: tuple[Reason, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def confidence(gain: Estimate, penalty: float, threshold: float) -> float:
    """P(gain − penalty ≥ threshold) with gain ~ Normal(value, se)."""
    margin = gain.value - penalty - threshold
    se = gain.stderr
    if se == 0.0 or math.isnan(se):
        return 1.0 if margin >= 0 else 0.0
    if math.isinf(se):
        return 0.5
    return normal_cdf(margin / se)


def risk_level(risk: float, max_risk: float, predicted: bool) -> RiskLevel:
    if risk > max_risk:
        return "critical"
    if risk > max_risk / 2:
        return "high"
    if risk > max_risk / 5 or predicted:
        return "medium"
    return "low"


def gate(assessment: Assessment, policy: PolicySpec, strategy: Strategy) -> GateResult:
    """Check one candidate against the strategy's thresholds; failures carry reason codes."""
    limits = strategy.spec.thresholds
    gain = assessment.improvement or Estimate(-math.inf, -math.inf, -math.inf, 0.0)
    net = gain.value - assessment.penalty
    conf = confidence(gain, assessment.penalty, limits.min_improvement)
    level = risk_level(assessment.risk, limits.max_risk, assessment.predicted)
    values = {
        "improvement": round(net, 6),
        "min_improvement": limits.min_improvement,
        "confidence": round(conf, 6),
        "min_confidence": limits.min_confidence,
        "risk": round(assessment.risk, 6),
        "max_risk": limits.max_risk,
    }
    who, risk = assessment.candidate.version, assessment.risk
    checks = [
        (
            net < limits.min_improvement,
            "improvement_below_threshold",
            f"improvement {net:+.1%} is below the minimum {limits.min_improvement:.0%}",
        ),
        (
            net >= limits.min_improvement and conf < limits.min_confidence,
            "confidence_below_threshold",
            f"P(improvement ≥ {limits.min_improvement:.0%}) = {conf:.2f} is below "
            f"{limits.min_confidence:.2f}",
        ),
        (
            level == "critical",
            "risk_above_threshold",
            f"P(a hard constraint is broken) = {risk:.2f} is above {limits.max_risk:.2f}",
        ),
        (
            level == "high" and policy.promotion != "pr",
            "risk_high_requires_pr",
            f"risk is high ({risk:.2f}); set promotion: pr to propose it",
        ),
    ]
    failures = tuple(Reason(code, f"{who}: {text}", values) for bad, code, text in checks if bad)
    return GateResult(conf, risk, level, failures)


def rollout_plan(strategy: Strategy) -> RolloutPlan:
    rollout = strategy.spec.rollout
    return RolloutPlan(
        kind="canary",
        steps=tuple(rollout.steps),
        durations=tuple(rollout.durations),
        max_stage_time=rollout.max_stage_time,
    )


def triggers(strategy: Strategy) -> dict[str, float]:
    data = strategy.spec.triggers.model_dump(exclude_none=True)
    return {k: float(v) for k, v in data.items()}


def deltas(
    metrics: Mapping[str, Estimate], baseline: Mapping[str, Estimate]
) -> dict[str, PredictedMetric]:
    """Every metric of the candidate, with its relative change against the baseline."""
    out = {}
    for name, estimate in sorted(metrics.items()):
        base = baseline.get(name)
        if base is None:
            delta = math.nan
        else:
            delta = (estimate.value - base.value) / max(abs(base.value), FLOORS.get(name, 1e-9))
        out[name] = PredictedMetric(estimate, delta)
    return out


_LABELS = {
    "cost_per_request": "cost",
    "daily_cost_usd": "daily cost",
    "latency_p50_ms": "p50 latency",
    "latency_p95_ms": "p95 latency",
    "latency_p99_ms": "p99 latency",
    "ttft_p95_ms": "p95 TTFT",
    "tokens_out_mean": "output tokens",
}


def tradeoff(
    metrics: Mapping[str, Estimate], baseline: Mapping[str, Estimate], policy: PolicySpec
) -> str:
    """``"−38% cost, −2.1 quality"``: relative for cost/latency, points for quality and errors."""
    parts = []
    for objective in policy.objectives:
        cand, base = metrics.get(objective.metric), baseline.get(objective.metric)
        if cand is None or base is None:
            parts.append(f"{objective.metric} unknown")
        elif objective.metric == "quality":
            parts.append(f"{_signed(cand.value - base.value, '.1f')} quality")
        elif objective.metric == "error_rate":
            parts.append(f"{_signed(100 * (cand.value - base.value), '.1f')} pp errors")
        else:
            change = (cand.value - base.value) / max(abs(base.value), FLOORS[objective.metric])
            parts.append(f"{_signed(100 * change, '.0f')}% {_LABELS[objective.metric]}")
    return ", ".join(parts)


def _signed(value: float, spec: str) -> str:
    text = format(abs(value), spec)
    if float(text) == 0.0:
        return f"±{text}"
    return f"−{text}" if value < 0 else f"+{text}"


def alternatives(
    front: list[Assessment],
    chosen: Assessment,
    baseline: Mapping[str, Estimate],
    policy: PolicySpec,
    limit: int = 5,
) -> tuple[Alternative, ...]:
    others = [a for a in front if a.candidate != chosen.candidate][:limit]
    return tuple(
        Alternative(a.candidate, a.score, tradeoff(a.metrics, baseline, policy)) for a in others
    )
