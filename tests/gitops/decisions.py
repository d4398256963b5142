"""Hand-made Decision values for the quickstart's chat-cost policy (no decision engine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from autoopt.decide.decision import (
    Alternative,
    Assessment,
    Decision,
    DecisionKind,
    PredictedMetric,
    Proposal,
    RolloutPlan,
)
from autoopt.values import Candidate, Estimate, Reason, Summary, Window, version_id

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=1), NOW)
STABLE_PARAMS = {"model": "gpt-4o", "temperature": 0.7, "max_tokens": 1024}


def _est(value: float, half: float) -> Estimate:
    return Estimate(value, value - half, value + half)


def _metrics(cost: float, quality: float, p95: float, err: float) -> dict[str, Estimate]:
    return {
        "cost_per_request": _est(cost, cost * 0.05),
        "quality": _est(quality, 0.8),
        "latency_p95_ms": _est(p95, 40.0),
        "error_rate": _est(err, 0.002),
        "daily_cost_usd": _est(cost * 5000, cost * 250),
    }


def _assess(
    version: str,
    params: dict[str, Any],
    metrics: dict[str, Estimate],
    score: float,
    rank: int,
    n: int,
    predicted: bool = False,
) -> Assessment:
    return Assessment(
        candidate=Candidate("chat-service", version, MappingProxyType(params)),
        metrics=MappingProxyType(metrics),
        n=n,
        feasible=rank >= 0,
        violations=(),
        penalty=0.0,
        score=score,
        pareto_rank=rank,
        predicted=predicted,
    )


def propose(
    target: dict[str, Any] | None = None, *, improvement: float = 0.352, n: int = 4000
) -> Decision:
    params = target or {"model": "gpt-4o-mini", "temperature": 0.5, "max_tokens": 1024}
    version = version_id(params)
    current = Candidate("chat-service", "v7", MappingProxyType(dict(STABLE_PARAMS)))
    chosen = Candidate("chat-service", version, MappingProxyType(params))
    other_params = {"model": "claude-3-5-haiku", "temperature": 0.3, "max_tokens": 512}
    other = version_id(other_params)
    proposal = Proposal(
        current=current,
        target=chosen,
        predicted=MappingProxyType(
            {
                "cost_per_request": PredictedMetric(Estimate(0.0024, 0.0022, 0.0026), -0.6),
                "quality": PredictedMetric(Estimate(87.2, 86.1, 88.3), -0.02),
            }
        ),
        improvement=Estimate(improvement, improvement - 0.04, improvement + 0.04),
        confidence=0.97,
        risk=0.03,
        risk_level="low",
        rollout=RolloutPlan(
            "canary",
            (5, 25, 50, 100),
            (timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15)),
            timedelta(hours=1),
        ),
        triggers=MappingProxyType(
            {"error_rate_increase": 0.05, "latency_p95_increase": 0.2, "quality_decrease": 0.1}
        ),
        rationale=("Highest score on the first Pareto front.", "Quality stays above 85."),
        alternatives=(
            Alternative(
                Candidate("chat-service", other, MappingProxyType(other_params)),
                0.21,
                "−45% cost, −4.1 quality",
            ),
        ),
    )
    assessments = (
        _assess("v7", dict(STABLE_PARAMS), _metrics(0.006, 89.0, 1450, 0.011), 0.0, 1, n),
        _assess(version, params, _metrics(0.0024, 87.2, 1210, 0.012), improvement, 0, n // 4),
        _assess(other, other_params, _metrics(0.0033, 85.4, 980, 0.015), 0.21, 0, 0, True),
    )
    summaries = (
        Summary(current, n, 44, WINDOW, MappingProxyType(_metrics(0.006, 89.0, 1450, 0.011))),
        Summary(chosen, n // 4, 12, WINDOW, MappingProxyType(_metrics(0.0024, 87.2, 1210, 0.012))),
    )
    return Decision(
        kind=DecisionKind.PROPOSE,
        service="chat-service",
        policy="chat-cost",
        current=current,
        proposal=proposal,
        reasons=(
            Reason("improvement_ok", f"weighted improvement {improvement:.1%} ≥ 10%"),
            Reason("confidence_ok", "confidence 97% ≥ 80%"),
        ),
        assessments=assessments,
        summaries=summaries,
    )


def no_change() -> Decision:
    current = Candidate("chat-service", "v7", MappingProxyType(dict(STABLE_PARAMS)))
    return Decision(
        kind=DecisionKind.NO_CHANGE,
        service="chat-service",
        policy="chat-cost",
        current=current,
        proposal=None,
        reasons=(Reason("improvement_too_small", "best improvement 3% < 10%"),),
    )
