from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from scipy import stats

from autoopt.decide.choose import choose
from autoopt.decide.decision import Decision, DecisionKind
from autoopt.decide.gates import confidence
from autoopt.decide.search import space_of
from autoopt.values import Estimate, Summary, version_id
from tests.decide.helpers import CURRENT, T0, context, est, policy_doc, strategy, summary

MINI = {"model": "gpt-4o-mini"}
SPACE = {"search_space": {"model": ["gpt-4o", "gpt-4o-mini", "haiku"]}}


def base(**metrics: Any) -> Summary:
    values = {"cost_per_request": 0.010, "quality": 90.0, **metrics}
    return summary("v7", params=dict(CURRENT.params), **values)


def decide(rows: list[Summary], *, ctx: Any = None, **spec: Any) -> Decision:
    merged = {**SPACE, **spec}
    return choose(
        rows, policy_doc(**merged), strategy(), current=CURRENT, context=ctx or context(), seed=1
    )


def codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


def test_cheaper_model_with_same_quality_is_proposed() -> None:
    rows = [base(), summary("v8", params=MINI, cost_per_request=0.004, quality=89.0)]
    decision = decide(rows)
    assert decision.kind is DecisionKind.PROPOSE
    proposal = decision.proposal
    assert proposal is not None
    target = {"model": "gpt-4o-mini", "max_tokens": 1024}
    assert dict(proposal.target.params) == target
    assert proposal.target.version == version_id(target)
    assert proposal.improvement.value == pytest.approx(0.6 * 0.6 - 0.4 * 1 / 90)
    assert proposal.confidence == 1.0 and proposal.risk == 0.0
    assert proposal.risk_level == "low"
    assert proposal.rollout.steps == (5, 25, 50, 100)
    assert proposal.triggers["error_rate_increase"] == 0.05
    assert proposal.predicted["cost_per_request"].delta == pytest.approx(-0.6)
    assert proposal.rationale == (
        f"{proposal.target.version}: −60% cost, −1.0 quality (measured as v8 on 1000 requests); "
        "improvement +35.6% [+35.6%, +35.6%], P(≥ 10%) = 1.00, risk 0.00 (low)",
    )
    assert [a.candidate.version for a in decision.assessments] == ["v7", "v8"]
    assert codes(decision) == ["proposed"]


@pytest.mark.parametrize(
    ("cost", "kind", "code"),
    [
        # improvement = 0.6 × (0.01 − cost) / 0.01, threshold 0.10 → cost 0.008333…
        (0.0083, DecisionKind.PROPOSE, "proposed"),
        (0.00834, DecisionKind.NO_CHANGE, "improvement_below_threshold"),
    ],
)
def test_improvement_just_above_and_below_threshold(
    cost: float, kind: DecisionKind, code: str
) -> None:
    rows = [base(), summary("v8", params=MINI, cost_per_request=cost, quality=90.0)]
    decision = decide(rows)
    assert decision.kind is kind
    assert code in codes(decision)


def test_improvement_exactly_at_threshold_passes() -> None:
    gain = Estimate.exact(0.10)
    assert confidence(gain, 0.0, 0.10) == 1.0
    assert confidence(Estimate.exact(0.0999999), 0.0, 0.10) == 0.0


@pytest.mark.parametrize(("value", "se"), [(0.15, 0.05), (0.12, 0.02), (0.08, 0.1), (0.3, 0.5)])
def test_confidence_on_known_normal(value: float, se: float) -> None:
    gain = Estimate(value, value - 1.96 * se, value + 1.96 * se, se)
    expected = stats.norm.sf(0.10, loc=value, scale=se)
    assert confidence(gain, 0.0, 0.10) == pytest.approx(expected, rel=1e-9)
    # a soft penalty shifts the distribution
    assert confidence(gain, 0.02, 0.10) == pytest.approx(
        stats.norm.sf(0.12, loc=value, scale=se), rel=1e-9
    )


def test_uncertain_improvement_fails_confidence_gate() -> None:
    rows = [
        base(),
        summary("v8", params=MINI, cost_per_request=est(0.007, 0.002), quality=90.0),
    ]
    decision = decide(rows)
    assert decision.kind is DecisionKind.NO_CHANGE
    (reason,) = [r for r in decision.reasons if r.code == "confidence_below_threshold"]
    # improvement 0.18 with se 0.6 × 0.002 / 0.01 = 0.12 → P(≥ 0.10) = Φ(0.08 / 0.12)
    assert reason.values["confidence"] == pytest.approx(stats.norm.cdf(0.08 / 0.12), abs=1e-6)


@pytest.mark.parametrize(
    ("quality_se", "promotion", "kind", "code", "level"),
    [
        (0.1, "auto", DecisionKind.PROPOSE, "proposed", "low"),
        (2.0, "auto", DecisionKind.NO_CHANGE, "risk_above_threshold", None),  # P = Φ(−0.5)
        (2 / 3, "auto", DecisionKind.NO_CHANGE, "risk_high_requires_pr", None),  # P = Φ(−1.5)
        (2 / 3, "pr", DecisionKind.PROPOSE, "proposed", "high"),
        (0.5, "auto", DecisionKind.PROPOSE, "proposed", "medium"),  # P = Φ(−2)
    ],
)
def test_risk_levels(
    quality_se: float, promotion: str, kind: DecisionKind, code: str, level: str | None
) -> None:
    rows = [base(), summary("v8", params=MINI, cost_per_request=0.004, quality=est(86, quality_se))]
    decision = decide(rows, constraints=[{"metric": "quality", "min": 85}], promotion=promotion)
    assert decision.kind is kind
    assert code in codes(decision)
    if level is not None:
        assert decision.proposal is not None
        assert decision.proposal.risk_level == level
        assert decision.proposal.requires_approval is (level == "high")


RULES = [
    {"name": "budget", "when": "cost_per_request > 0.02", "action": "block"},
    {
        "name": "errors",
        "when": "error_rate > 0.1 and n >= 200",
        "action": "rollback",
        "kind": "safety",
    },
    {"name": "noisy", "when": "latency_p95_ms > 1000", "action": "alert"},
    {"name": "careful", "when": "quality < 92", "action": "require_approval"},
]


@pytest.mark.parametrize(
    ("metrics", "kind", "expected"),
    [
        ({"error_rate": 0.2, "cost_per_request": 0.03}, DecisionKind.ROLLBACK, ["rule_rollback"]),
        ({"error_rate": 0.01, "cost_per_request": 0.03}, DecisionKind.BLOCK, ["rule_block"]),
        (
            {"error_rate": 0.01, "latency_p95_ms": 1500},
            DecisionKind.PROPOSE,
            ["proposed", "rule_alert", "rule_requires_approval"],
        ),
        (
            {},
            DecisionKind.PROPOSE,
            ["proposed", "rule_unknown", "rule_unknown", "rule_requires_approval"],
        ),
    ],
)
def test_rules_in_priority_order(
    metrics: dict[str, float], kind: DecisionKind, expected: list[str]
) -> None:
    rows = [base(**metrics), summary("v8", params=MINI, cost_per_request=0.004, quality=90.0)]
    decision = decide(rows, rules=RULES)
    assert decision.kind is kind
    assert codes(decision) == expected
    if kind is DecisionKind.PROPOSE:
        assert decision.proposal is not None and decision.proposal.requires_approval


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"rollout_active": True}, "rollout_active"),
        ({"changes_today": 1}, "max_changes_per_day"),
        ({"last_change_at": T0 - timedelta(hours=5)}, "cooldown"),
        ({"last_rollback_at": T0 - timedelta(hours=23)}, "rollback_cooldown"),
    ],
)
def test_guards_stop_the_optimizer(facts: dict[str, Any], code: str) -> None:
    rows = [base(), summary("v8", params=MINI, cost_per_request=0.004, quality=90.0)]
    decision = decide(rows, ctx=context(**facts))
    assert decision.kind is DecisionKind.NO_CHANGE
    assert codes(decision) == [code]


def test_guards_pass_after_cooldown_and_safety_rule_ignores_them() -> None:
    rows = [base(), summary("v8", params=MINI, cost_per_request=0.004, quality=90.0)]
    later = context(last_change_at=T0 - timedelta(hours=6), last_rollback_at=T0 - timedelta(days=1))
    assert decide(rows, ctx=later).kind is DecisionKind.PROPOSE
    bad = [base(error_rate=0.5), rows[1]]
    assert decide(bad, ctx=context(rollout_active=True), rules=RULES).kind is DecisionKind.ROLLBACK


def test_recently_closed_target_is_skipped_for_the_next_best() -> None:
    rows = [
        base(),
        summary("v8", params=MINI, cost_per_request=0.004, quality=90.0),
        summary("v9", params={"model": "haiku"}, cost_per_request=0.005, quality=91.0),
    ]
    first = decide(rows)
    assert first.proposal is not None
    closed = {first.proposal.target.version: T0 - timedelta(days=1)}
    second = decide(rows, ctx=context(closed_proposals=closed))
    assert second.proposal is not None
    assert second.proposal.target.params["model"] == "haiku"
    assert "recently_closed" not in codes(second)  # a proposal was still made
    assert [a.candidate.params["model"] for a in first.proposal.alternatives] == ["haiku"]
    assert first.proposal.alternatives[0].tradeoff == "−50% cost, +1.0 quality"


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([summary("v8", params=MINI, cost_per_request=0.004, quality=90.0)], "no_baseline_metrics"),
        ([base()], "no_candidates"),
        (
            [base(), summary("v8", params=MINI, cost_per_request=0.004, quality=70.0)],
            "no_feasible_candidate",
        ),
        ([base(), summary("v8", params=MINI, cost_per_request=0.004)], "needs_evaluation"),
        (
            [base(), summary("v8", params=MINI, cost_per_request=0.02, quality=80.0)],
            "current_is_best",
        ),
        (
            [
                base(),
                summary("v8", params={"model": "other"}, cost_per_request=0.001, quality=99.0),
            ],
            "no_candidates",
        ),
    ],
)
def test_no_change_reasons(rows: list[Summary], code: str) -> None:
    decision = decide(rows)
    assert decision.kind is DecisionKind.NO_CHANGE
    assert codes(decision)[-1] == code


def test_small_baseline_is_insufficient_data() -> None:
    rows = [
        summary("v7", n=50, params=dict(CURRENT.params), cost_per_request=0.01, quality=90.0),
        summary("v8", params=MINI, cost_per_request=0.004, quality=90.0),
    ]
    assert codes(decide(rows)) == ["insufficient_data"]


def test_baseline_without_an_objective_metric_needs_evaluation() -> None:
    rows = [
        summary("v7", params=dict(CURRENT.params), cost_per_request=0.01),
        summary("v8", params=MINI, cost_per_request=0.004, quality=90.0),
    ]
    decision = decide(rows)
    assert decision.kind is DecisionKind.NO_CHANGE
    assert [(r.code, r.message) for r in decision.reasons] == [
        ("baseline_needs_evaluation", "v7 has no quality; nothing can be compared with it")
    ]


def test_space_contains() -> None:
    space = space_of(
        policy_doc(search_space={"temperature": {"min": 0, "max": 1, "step": 0.1}}).spec
    )
    assert space.contains({"temperature": 0.3})
    assert space.contains({"model": "anything"})  # not a search dimension
    assert not space.contains({"temperature": 0.35})


def test_confidence_and_risk_match_monte_carlo_of_the_estimates() -> None:
    import numpy as np

    rng = np.random.default_rng(2026)
    draws = 400_000
    b_cost, b_q = rng.normal(0.010, 0.0004, draws), rng.normal(90.0, 0.3, draws)
    c_cost, c_q = rng.normal(0.0075, 0.0009, draws), rng.normal(88.5, 0.8, draws)
    gain = 0.6 * (b_cost - c_cost) / b_cost + 0.4 * (c_q - b_q) / b_q
    rows = [
        base(cost_per_request=est(0.010, 0.0004), quality=est(90.0, 0.3)),
        summary("v8", params=MINI, cost_per_request=est(0.0075, 0.0009), quality=est(88.5, 0.8)),
    ]
    decision = decide(rows, constraints=[{"metric": "quality", "min": 87.5}], promotion="pr")
    (assessed,) = [a for a in decision.assessments if a.candidate.version == "v8"]
    assert assessed.improvement is not None
    assert assessed.improvement.value == pytest.approx(0.6 * 0.25 - 0.4 * 1.5 / 90)
    assert assessed.improvement.se == pytest.approx(gain.std(), rel=0.03)
    reason = next(r for r in decision.reasons if "confidence" in r.values)
    assert reason.values["confidence"] == pytest.approx(np.mean(gain >= 0.10), abs=0.01)
    assert assessed.risk == pytest.approx(np.mean(c_q < 87.5), abs=0.005)
