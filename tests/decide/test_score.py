from __future__ import annotations

import math

import pytest
from scipy import stats

from autoopt.decide.score import (
    NoBaseline,
    assess,
    break_probability,
    check_constraints,
    improvement,
    relative_change,
)
from autoopt.spec.models import Constraint
from tests.decide.helpers import est, policy, summary


def test_design_example_improvement_is_0_352() -> None:
    base = {"cost_per_request": est(0.010), "quality": est(90.0)}
    cand = {"cost_per_request": est(0.004), "quality": est(90.0 * 0.98)}
    gain = improvement(cand, base, policy())
    assert gain is not None
    assert gain.value == pytest.approx(0.6 * 0.60 - 0.4 * 0.02)
    assert gain.se == 0.0


def test_improvement_is_none_when_an_objective_is_missing() -> None:
    base = {"cost_per_request": est(0.010), "quality": est(90.0)}
    assert improvement({"cost_per_request": est(0.004)}, base, policy()) is None


@pytest.mark.parametrize(
    ("metric", "goal", "cand", "base", "expected"),
    [
        ("cost_per_request", "minimize", 0.5, 1.0, 0.5),
        ("cost_per_request", "minimize", 1.5, 1.0, -0.5),
        ("quality", "maximize", 99.0, 90.0, 0.1),
        ("error_rate", "minimize", 0.002, 0.0, -2.0),  # floor 0.001 keeps a zero baseline finite
    ],
)
def test_relative_change(metric: str, goal: str, cand: float, base: float, expected: float) -> None:
    value, variance = relative_change(metric, goal, est(cand), est(base))
    assert value == pytest.approx(expected)
    assert variance == 0.0


def test_delta_method_variance_matches_monte_carlo() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    c = rng.normal(0.6, 0.03, 400_000)
    b = rng.normal(1.0, 0.02, 400_000)
    _, variance = relative_change("cost_per_request", "minimize", est(0.6, 0.03), est(1.0, 0.02))
    assert math.sqrt(variance) == pytest.approx(np.std((b - c) / b), rel=0.03)


@pytest.mark.parametrize(
    ("value", "se", "bound", "expected"),
    [
        (0.04, 0.01, {"max": 0.05}, stats.norm.cdf(-1.0)),
        (0.06, 0.01, {"max": 0.05}, stats.norm.cdf(1.0)),
        (84.0, 2.0, {"min": 85}, stats.norm.cdf(0.5)),
        (90.0, 0.0, {"min": 85}, 0.0),
        (80.0, 0.0, {"min": 85}, 1.0),
        (85.0, 0.0, {"min": 85}, 0.0),  # on the bound is not broken
    ],
)
def test_break_probability(
    value: float, se: float, bound: dict[str, float], expected: float
) -> None:
    constraint = Constraint(metric="quality", **bound)  # type: ignore[arg-type]
    assert break_probability(est(value, se), constraint) == pytest.approx(expected, abs=1e-12)


def test_risk_is_probability_of_any_hard_break_and_soft_adds_penalty() -> None:
    constraints = [
        Constraint(metric="quality", min=85),
        Constraint(metric="error_rate", max=0.05),
        Constraint(metric="daily_cost_usd", max=100, hard=False, penalty=2.0),
    ]
    metrics = {"quality": est(86, 1.0), "error_rate": est(0.04, 0.01), "daily_cost_usd": est(150)}
    check = check_constraints(metrics, constraints)
    p1, p2 = stats.norm.cdf(-1.0), stats.norm.cdf(-1.0)
    assert check.risk == pytest.approx(1 - (1 - p1) * (1 - p2))
    assert check.penalty == pytest.approx(2.0 * 0.5)
    assert check.feasible
    assert [v.label for v in check.violations] == ["daily_cost_usd 150 > 100"]


def test_missing_hard_metric_is_infeasible_never_assumed_good() -> None:
    check = check_constraints({"error_rate": est(0.01)}, [Constraint(metric="quality", min=85)])
    assert not check.feasible
    assert check.missing == ("quality",)
    assert check.risk == 1.0


def test_assess_table() -> None:
    spec = policy(
        constraints=[
            {"metric": "quality", "min": 80},
            {"metric": "latency_p95_ms", "max": 2000, "hard": False, "penalty": 1.0},
        ]
    )
    rows = [
        summary("v1", cost_per_request=0.010, quality=90, latency_p95_ms=1000),
        summary("v2", cost_per_request=0.004, quality=88, latency_p95_ms=1000),
        summary("v3", cost_per_request=0.002, quality=70, latency_p95_ms=800),  # breaks quality
        summary("v4", cost_per_request=0.011, quality=89, latency_p95_ms=1000),  # dominated
        summary("v5", cost_per_request=0.003, quality=85, latency_p95_ms=3000),  # soft excess 0.5
        summary("v6", cost_per_request=0.001, latency_p95_ms=500),  # no quality evidence
    ]
    out = {a.candidate.version: a for a in assess(rows, spec, "v1")}
    assert out["v1"].score == 0.0 and out["v1"].pareto_rank == 0
    assert out["v2"].score == pytest.approx(0.6 * 0.6 - 0.4 * 2 / 90)
    assert out["v2"].pareto_rank == 0
    assert not out["v3"].feasible and out["v3"].pareto_rank == -1
    assert out["v3"].violations[0].label == "quality 70 < 80"
    assert out["v4"].pareto_rank == 1
    assert out["v5"].penalty == pytest.approx(0.5)
    assert out["v5"].score == pytest.approx(0.6 * 0.7 - 0.4 * 5 / 90 - 0.5)
    assert out["v5"].pareto_rank == 0
    assert out["v6"].needs_evaluation == ("quality",)
    assert not out["v6"].feasible and out["v6"].pareto_rank == -1


def test_assess_without_baseline_is_a_user_error() -> None:
    with pytest.raises(
        NoBaseline, match=r"no metrics for the current version 'v9' \(measured: v1\)"
    ):
        assess([summary("v1", cost_per_request=0.01, quality=90)], policy(), "v9")


def test_assess_is_invariant_to_order() -> None:
    rows = [
        summary(f"v{i}", cost_per_request=0.001 * (i % 7 + 1), quality=80 + (i * 3) % 19)
        for i in range(30)
    ]
    forward = {a.candidate.version: a for a in assess(rows, policy(), "v3")}
    backward = {a.candidate.version: a for a in assess(rows[::-1], policy(), "v3")}
    assert forward == backward
