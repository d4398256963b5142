"""Seeded simulated rollouts through the real judges (a small version of bench_judge.py).

Healthy canaries must be rolled back at most at α (plus Monte Carlo error), regressions of
exactly the trigger size caught at least at 1 − β (minus Monte Carlo error), and on the same
traffic the sequential judge rolls back fewer healthy canaries than either baseline.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autoopt.decide.baselines import judge_mannwhitney, judge_threshold
from autoopt.decide.judge import Look, StageVerdict, judge_stage
from autoopt.spec.models import StrategySpec
from autoopt.values import Interval, StageObservation
from tests.judge.samples import BALANCED
from tests.judge.traffic import Judge, Outcome, Traffic, rollout

RUNS = 150
ALPHA, BETA = BALANCED.judge.alpha, BALANCED.judge.beta
HEALTHY = Traffic(rate=10.0)


def run(judge: Judge, traffic: Traffic, seed: int, runs: int = RUNS) -> list[Outcome]:
    rng = np.random.default_rng(seed)
    return [rollout(judge, BALANCED, traffic, rng) for _ in range(runs)]


def rate(outcomes: list[Outcome], result: str) -> float:
    return sum(o.result == result for o in outcomes) / len(outcomes)


def margin(p: float, runs: int = RUNS) -> float:
    return 2.33 * math.sqrt(p * (1 - p) / runs)  # one-sided 99% Monte Carlo error


@pytest.fixture(scope="module")
def healthy() -> list[Outcome]:
    return run(judge_stage, HEALTHY, seed=1)


def test_healthy_canaries_are_rarely_rolled_back(healthy: list[Outcome]) -> None:
    assert rate(healthy, "rollback") <= ALPHA + margin(ALPHA)
    assert rate(healthy, "timeout") == 0.0
    assert rate(healthy, "promoted") >= 1 - ALPHA - margin(ALPHA)


@pytest.mark.parametrize(
    "regressed",
    [
        Traffic(rate=10.0, error_delta=0.05),
        Traffic(rate=10.0, latency_factor=1.2),
        Traffic(rate=10.0, quality_factor=0.9),
    ],
    ids=["error_rate", "latency_p95", "quality"],
)
def test_regressions_of_the_trigger_size_are_caught(regressed: Traffic) -> None:
    outcomes = run(judge_stage, regressed, seed=2, runs=60)
    caught = 1 - rate(outcomes, "promoted")
    assert caught >= 1 - BETA - margin(BETA, 60)


def test_both_baselines_roll_back_more_healthy_canaries(healthy: list[Outcome]) -> None:
    ours = rate(healthy, "rollback")
    for judge in (judge_threshold, judge_mannwhitney):
        theirs = rate(run(judge, HEALTHY, seed=1), "rollback")
        assert theirs > ours + 0.05, judge.__name__


def test_a_slowdown_of_both_arms_over_time_is_not_a_regression() -> None:
    """Latency of both arms doubles per hour while the canary share grows stage by stage.
    Stratified by stage the canary is rolled back no more often than a healthy one; the same
    judge on the same data with the stages pooled (every interval relabelled stage 0) sees
    the canary — observed mostly late — as slower and rolls most of them back."""
    trend = Traffic(rate=10.0, latency_trend=1.0)

    def pooled(observation: StageObservation, spec: StrategySpec, look: Look) -> StageVerdict:
        flat = tuple(Interval(0, i.stable, i.canary) for i in observation.intervals)
        return judge_stage(StageObservation(flat), spec, look)

    assert rate(run(judge_stage, trend, seed=3, runs=60), "rollback") <= ALPHA + margin(ALPHA, 60)
    assert rate(run(pooled, trend, seed=3, runs=60), "rollback") > 0.5
