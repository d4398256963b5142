"""The Flagger-style and Kayenta-style baselines on literal observations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autoopt.decide.baselines import judge_mannwhitney, judge_threshold
from autoopt.decide.judge import Look, Verdict
from tests.judge.samples import BALANCED, EARLY, PAST_HOLD, arm, observe, spec_with


def test_threshold_counts_failed_intervals_of_the_current_stage() -> None:
    good, slow = arm(300, p95_ms=2000.0), arm(300, p95_ms=2600.0)
    stable = arm(5700)
    one = observe((0, stable, good), (0, stable, slow), (0, stable, good))
    verdict = judge_threshold(one, BALANCED, PAST_HOLD)
    assert verdict.verdict is Verdict.PROMOTE
    assert verdict.codes == ("checks_passed",)
    two = observe((0, stable, slow), (0, stable, good), (0, stable, slow))
    verdict = judge_threshold(two, BALANCED, EARLY)
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.codes == ("latency_p95_increase",)
    assert verdict.reasons[0].values["failed_checks"] == 2
    assert verdict.reasons[0].values["change"] == pytest.approx(0.3, rel=0.05)
    # failures of an earlier stage do not count in this one
    later = Look.of(BALANCED.rollout, 1, timedelta(minutes=11))
    moved = observe((0, stable, slow), (0, stable, slow), (1, stable, good))
    assert judge_threshold(moved, BALANCED, later).verdict is Verdict.PROMOTE
    strict = spec_with(judge={"failure_limit": 1})
    assert judge_threshold(one, strict, PAST_HOLD).verdict is Verdict.ROLLBACK


def test_threshold_holds_for_time_and_the_minimum_sample() -> None:
    obs = observe((0, arm(1900), arm(100)))
    assert judge_threshold(obs, BALANCED, EARLY).codes == ("hold_time",)
    small = observe((0, arm(1900), arm(50)))
    verdict = judge_threshold(small, BALANCED, PAST_HOLD)
    assert verdict.codes == ("insufficient_data",)
    late = judge_threshold(small, BALANCED, Look.of(BALANCED.rollout, 0, timedelta(hours=2)))
    assert late.verdict is Verdict.ROLLBACK
    assert late.codes[0] == "inconclusive_timeout"


@pytest.mark.parametrize(
    ("canary", "code"),
    [
        ({"error_rate": 0.06}, "error_rate_increase"),
        ({"p95_ms": 2300.0}, "latency_p95_increase"),
        ({"quality": 76.0}, "quality_decrease"),
    ],
)
def test_mannwhitney_fails_a_metric_worse_at_98_percent(
    canary: dict[str, float], code: str
) -> None:
    obs = observe((0, arm(19_000), arm(1_000, **canary)))
    verdict = judge_mannwhitney(obs, BALANCED, EARLY)
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.codes == (code,)
    assert float(verdict.reasons[0].values["p_value"]) < 0.01


def test_mannwhitney_promotes_equal_arms_after_the_hold_time() -> None:
    obs = observe((0, arm(19_000), arm(1_000)))
    assert judge_mannwhitney(obs, BALANCED, PAST_HOLD).verdict is Verdict.PROMOTE
    assert judge_mannwhitney(obs, BALANCED, EARLY).verdict is Verdict.HOLD
    better = observe((0, arm(19_000), arm(1_000, p95_ms=1500.0, error_rate=0.0)))
    assert judge_mannwhitney(better, BALANCED, PAST_HOLD).verdict is Verdict.PROMOTE
    few = observe((0, arm(19_000), arm(50, error_rate=0.5)))
    assert judge_mannwhitney(few, BALANCED, PAST_HOLD).codes == ("insufficient_data",)
