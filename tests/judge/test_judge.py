"""The sequential judge on literal, deterministic observations: verdicts and their reasons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from autoopt.decide.baselines import judge_mannwhitney, judge_threshold
from autoopt.decide.judge import (
    Look,
    StageVerdict,
    Status,
    Verdict,
    judge_for,
    judge_stage,
    minimum_sample,
)
from autoopt.values import StageObservation
from tests.judge.samples import BALANCED, EARLY, PAST_HOLD, arm, observe, spec_with


def same(n_stable: int = 40_000, n_canary: int = 4_000, **canary: Any) -> StageObservation:
    return observe((0, arm(n_stable), arm(n_canary, **canary)))


def test_look_of_reads_the_rollout_plan() -> None:
    look = Look.of(BALANCED.rollout, 1, timedelta(minutes=3))
    assert (look.step, look.planned_looks) == (1, 3)
    assert look.hold_time == timedelta(minutes=10)
    assert look.max_stage_time == timedelta(hours=1)
    assert look.on_timeout == "rollback"
    assert not look.timed_out
    assert Look.of(BALANCED.rollout, 3, timedelta(0)).hold_time == timedelta(0)


def test_identical_arms_past_the_hold_time_promote_with_numbers() -> None:
    verdict = judge_stage(same(), BALANCED, PAST_HOLD)
    assert verdict.verdict is Verdict.PROMOTE
    assert verdict.codes == ("non_inferior",) * 3
    first = verdict.reasons[0]
    assert first.values["metric"] == "error_rate"
    assert first.values["change"] == pytest.approx(0.0, abs=1e-3)
    assert first.values["trigger"] == 0.05
    assert 0 < float(first.values["promote_at"]) < 0.05
    assert first.message.startswith("error rate: canary 2.00% vs 2.00% (+0.02 points)")
    assert (verdict.n_stable, verdict.n_canary) == (40_000, 4_000)
    assert [m.status for m in verdict.metrics] == [Status.NON_INFERIOR] * 3


def test_before_the_hold_time_it_holds_even_when_non_inferior() -> None:
    verdict = judge_stage(same(), BALANCED, EARLY)
    assert verdict.verdict is Verdict.HOLD
    assert verdict.codes == ("hold_time",)
    assert verdict.reasons[0].values == {"step": 0, "elapsed_s": 120.0, "hold_s": 300.0}


@pytest.mark.parametrize(
    ("canary", "code", "change"),
    [
        ({"error_rate": 0.12}, "error_rate_increase", 0.10),
        ({"p95_ms": 2600.0}, "latency_p95_increase", 0.30),
        ({"quality": 64.0}, "quality_decrease", 0.20),
    ],
)
def test_a_clear_regression_rolls_back_even_before_the_hold_time(
    canary: dict[str, float], code: str, change: float
) -> None:
    verdict = judge_stage(same(**canary), BALANCED, EARLY)
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.codes == (code,)
    values = verdict.reasons[0].values
    assert values["change"] == pytest.approx(change, rel=0.05)
    assert float(values["change"]) >= float(values["rollback_at"])


def test_cost_is_judged_only_when_the_strategy_has_a_cost_trigger() -> None:
    pricey = same(cost=0.003)
    assert judge_stage(pricey, BALANCED, PAST_HOLD).verdict is Verdict.PROMOTE
    spec = spec_with(triggers={"cost_increase": 0.25})
    verdict = judge_stage(pricey, spec, PAST_HOLD)
    assert verdict.codes == ("cost_increase",)
    assert verdict.reasons[0].values["change"] == pytest.approx(0.5, rel=1e-3)


def test_too_few_requests_hold_with_insufficient_data() -> None:
    verdict = judge_stage(same(n_canary=60), BALANCED, PAST_HOLD)
    assert verdict.verdict is Verdict.HOLD
    assert verdict.codes[0] == "insufficient_data"
    assert verdict.reasons[0].values["n_canary"] == 60
    assert verdict.reasons[0].values["min_sample"] == verdict.min_sample >= 100
    # 60 canary requests in 6 minutes: 10 a minute, so (min_sample − 60) / 10 minutes to go
    assert verdict.reasons[0].values["eta_s"] == round((verdict.min_sample - 60) * 6)
    assert "more minutes at 10 a minute" in verdict.reasons[0].message
    # a big regression on fewer than judge.min_sample requests is not acted on either
    tiny = judge_stage(same(n_canary=60, error_rate=0.5), BALANCED, PAST_HOLD)
    assert tiny.verdict is Verdict.HOLD


def test_nothing_at_all_holds() -> None:
    verdict = judge_stage(StageObservation(()), BALANCED, PAST_HOLD)
    assert verdict.verdict is Verdict.HOLD
    assert verdict.codes == ("insufficient_data",)
    assert [m.status for m in verdict.metrics] == [Status.NOT_MEASURED] * 3


def test_a_small_difference_on_little_data_is_inconclusive() -> None:
    verdict = judge_stage(same(n_canary=400, p95_ms=2200.0), BALANCED, PAST_HOLD)
    assert verdict.verdict is Verdict.HOLD
    assert "inconclusive" in verdict.codes
    reason = verdict.reasons[verdict.codes.index("inconclusive")]
    assert reason.values["metric"] == "latency_p95"
    assert float(reason.values["promote_at"]) < 0.094 < float(reason.values["rollback_at"])
    assert 0 < float(reason.values["information_fraction"]) < 1


def test_past_the_max_stage_time_on_timeout_decides() -> None:
    late = Look.of(BALANCED.rollout, 0, timedelta(hours=1))
    verdict = judge_stage(same(n_canary=400, p95_ms=2200.0), BALANCED, late)
    assert verdict.verdict is Verdict.ROLLBACK
    assert verdict.codes[0] == "inconclusive_timeout"
    assert verdict.reasons[0].values == {"step": 0, "elapsed_s": 3600.0, "max_s": 3600.0}
    holding = spec_with(rollout={"on_timeout": "hold"})
    look = Look.of(holding.rollout, 0, timedelta(hours=2))
    kept = judge_stage(same(n_canary=400, p95_ms=2200.0), holding, look)
    assert kept.verdict is Verdict.HOLD
    assert kept.codes[0] == "inconclusive_timeout"


def test_without_quality_scores_the_other_metrics_decide() -> None:
    obs = observe((0, arm(40_000, quality=None), arm(4_000, quality=None)))
    verdict = judge_stage(obs, BALANCED, PAST_HOLD)
    assert verdict.verdict is Verdict.PROMOTE
    assert [r.values["metric"] for r in verdict.reasons] == ["error_rate", "latency_p95"]
    assert verdict.metrics[2].status is Status.NOT_MEASURED


def test_minimum_sample_is_the_one_look_power_formula() -> None:
    # 2·p(1−p)·(z_{1−α}+z_{1−β})²/Δ² with p = 0.045, α = 0.05/3, β = 0.2, Δ = 0.05
    z = 2.128045234 + 0.841621234
    expected = 2 * 0.045 * 0.955 * z * z / 0.05**2
    got = minimum_sample({"error_rate": 0.045 * 0.955}, {"error_rate": 0.05}, 0.05 / 3, 0.2)
    assert got == pytest.approx(expected, abs=1)
    assert minimum_sample({"quality": float("nan")}, {"quality": 0.1}, 0.05, 0.2) == 0


def test_judge_for_follows_the_method() -> None:
    assert judge_for(BALANCED) is judge_stage
    assert judge_for(spec_with(judge={"method": "threshold"})) is judge_threshold
    assert judge_for(spec_with(judge={"method": "mannwhitney"})) is judge_mannwhitney


def test_verdicts_are_frozen() -> None:
    verdict = judge_stage(same(), BALANCED, PAST_HOLD)
    assert isinstance(verdict, StageVerdict)
    with pytest.raises(AttributeError):
        verdict.verdict = Verdict.HOLD  # type: ignore[misc]


def test_look_of_canary_uses_its_own_durations_and_step_start() -> None:
    from datetime import UTC, datetime

    from autoopt.spec.models import Canary

    canary = Canary.model_validate(
        {
            "version": "v8",
            "params": {"model": "gpt-4o-mini"},
            "steps": [10, 50, 100],
            "durations": ["3m", "20m"],
            "step": 1,
            "step_started_at": "2026-11-25T10:00:00Z",
        }
    )
    now = datetime(2026, 11, 25, 10, 12, tzinfo=UTC)
    look = Look.of_canary(canary, BALANCED.rollout, now)
    assert (look.step, look.planned_looks) == (1, 2)
    assert (look.elapsed, look.hold_time) == (timedelta(minutes=12), timedelta(minutes=20))
    assert look.max_stage_time == timedelta(hours=1)
