"""The per-stage and recent-window rollback tests: their error budget, their level on Gaussian
score paths, verdicts on literal observations, and detection of a regression that starts
mid-rollout in simulated rollouts."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from autoopt.decide.effects import merge
from autoopt.decide.judge import (
    Look,
    Verdict,
    alpha_split,
    configured,
    judge_stage,
    start_share,
)
from autoopt.decide.sequential import design
from autoopt.values import Interval, StageObservation
from tests.judge.samples import BALANCED, arm, observe, spec_with
from tests.judge.traffic import Traffic, rollout

LOOK = Look.of(BALANCED.rollout, 1, timedelta(minutes=9))  # inside the 25% stage's hold time


def test_alpha_is_split_without_overspending() -> None:
    whole, stage = alpha_split(BALANCED)
    metrics = len(configured(BALANCED.triggers))
    stages = len(BALANCED.rollout.steps) - 1
    assert metrics * whole + metrics * stages * stage == pytest.approx(BALANCED.judge.alpha)
    assert (whole, stage) == pytest.approx((0.025 / 3, 0.025 / 9))
    # the window shares telescope: Σ_{j<J} 1/((j+1)(j+2)) = 1 − 1/(J+1) < 1 for every J
    for count in (1, 2, 10, 1000):
        total = math.fsum(start_share(j) for j in range(count))
        assert total == pytest.approx(1 - 1 / (count + 1))
    one = spec_with(rollout={"steps": [100], "durations": []})
    assert alpha_split(one)[1] == pytest.approx(0.025 / 3)


def scan_crossings(paths: np.ndarray, level: float, margin: float, drift: float) -> np.ndarray:
    """Which paths the window scan rolls back: per-interval Gaussian scores with information
    1 each, every window ``[j, now]`` a test at ``level · start_share(j)``."""
    shifted = paths + drift  # drift per unit of information
    crossed = np.zeros(paths.shape[0], dtype=bool)
    looks = paths.shape[1]
    for j in range(looks):
        plan = design(level * start_share(j), 0.2, margin)
        information = np.arange(1, looks - j + 1, dtype=float)
        estimate = np.cumsum(shifted[:, j:], axis=1) / information
        bound = np.array([plan.rollback_at(i) for i in information])
        crossed |= (estimate >= bound).any(axis=1)
    return crossed


def test_the_window_scan_keeps_its_level_on_gaussian_paths() -> None:
    """20,000 paths of 40 intervals under no regression: the scan over every start rolls back
        at most ``level``; with a regression of twice the margin starting at interval 25 it rolls
        back almost every path within the 15 intervals left, where the whole-stage window alone
    misses a fifth of them."""
    rng = np.random.default_rng(7)
    level, margin = 0.05, 1.0
    paths = rng.standard_normal((20_000, 40))
    healthy = scan_crossings(paths, level, margin, 0.0).mean()
    assert healthy <= level + 2.33 * math.sqrt(level * (1 - level) / 20_000)
    assert 0 < healthy < level / 2  # overlapping windows: the union bound is conservative
    late = paths.copy()
    late[:, 25:] += 2 * margin
    assert scan_crossings(late, level, margin, 0.0).mean() > 0.95
    whole = design(level * start_share(0), 0.2, margin)
    information = np.arange(1, 41, dtype=float)
    estimate = np.cumsum(late, axis=1) / information
    bound = np.array([whole.rollback_at(i) for i in information])
    assert (estimate >= bound).any(axis=1).mean() < 0.85


def late_regression(late: int) -> StageObservation:
    """A long healthy first stage, then 8 healthy minutes of the 25% stage and ``late`` minutes
    of a canary whose p95 is 40% higher (quantile-spaced samples, no randomness)."""
    healthy = [(0, arm(200_000), arm(10_000))] + [(1, arm(3_000), arm(1_000))] * 8
    slow = [(1, arm(3_000), arm(1_000, p95_ms=2800.0))] * late
    return observe(*healthy, *slow)


def test_a_regression_late_in_the_stage_rolls_back_from_a_recent_window() -> None:
    verdict = judge_stage(late_regression(1), BALANCED, LOOK)
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.codes == ("latency_p95_increase",)
    reason = verdict.reasons[0]
    assert reason.values["window"] == "recent"
    assert reason.values["intervals"] == 1
    assert reason.values["change"] == pytest.approx(0.4, abs=0.01)
    assert reason.message.startswith("latency p95 in this stage's last interval: canary 2794")
    # the whole-rollout metrics still show the diluted estimate, inconclusive
    [latency] = [m for m in verdict.metrics if m.metric == "latency_p95"]
    assert latency.window == "rollout"
    assert latency.change < 0.1


def test_the_same_data_as_one_interval_per_stage_holds() -> None:
    """Without the minute intervals only the whole stage can be tested: diluted, it holds."""
    intervals = late_regression(1).intervals
    first, rest = intervals[0], [i for i in intervals if i.stage == 1]
    one = Interval(1, merge([i.stable for i in rest]), merge([i.canary for i in rest]))
    verdict = judge_stage(StageObservation((first, one)), BALANCED, LOOK)
    assert verdict.verdict is Verdict.HOLD


def test_a_regression_over_the_whole_stage_says_in_this_stage() -> None:
    slow = observe(
        (0, arm(200_000), arm(10_000)),
        *[(1, arm(3_000), arm(1_000, p95_ms=2500.0))] * 3,
    )
    verdict = judge_stage(slow, BALANCED, LOOK)
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.reasons[0].values["window"] in ("stage", "recent")
    assert "in this stage" in verdict.reasons[0].message


def test_a_stage_below_the_minimum_sample_is_not_judged_alone() -> None:
    tiny = observe((0, arm(200_000), arm(10_000)), (1, arm(300, p95_ms=2000.0), arm(99)))
    slow = observe(
        (0, arm(200_000), arm(10_000)), (1, arm(300), arm(99, p95_ms=4000.0, error_rate=0.3))
    )
    assert judge_stage(tiny, BALANCED, LOOK).verdict is Verdict.HOLD
    assert judge_stage(slow, BALANCED, LOOK).verdict is Verdict.HOLD


@pytest.mark.parametrize("minutes", [0.0, 5.0], ids=["at the stage start", "5 minutes in"])
def test_a_regression_of_twice_the_trigger_from_the_25pct_stage_is_caught_fast(
    minutes: float,
) -> None:
    """p95 +40% (twice the 20% trigger) from the start of the 25% stage, or 5 minutes into
    it, at 10 requests/s with a look a minute: every rollout is rolled back, 90% within 5
    looks of the onset (the whole-rollout test alone needed 7 and 8, bench_judge.py)."""
    traffic = Traffic(rate=10.0, latency_factor=1.4, onset_step=1, onset_minutes=minutes)
    rng = np.random.default_rng(11)
    outcomes = [rollout(judge_stage, BALANCED, traffic, rng) for _ in range(40)]
    assert all(o.result == "rollback" for o in outcomes)
    delays = sorted(o.delay[1] for o in outcomes if o.delay is not None)
    assert len(delays) >= 38  # at most a rare false rollback before the onset
    assert delays[int(0.9 * len(delays))] <= 5
    assert all(o.codes == ("latency_p95_increase",) for o in outcomes if o.delay is not None)
