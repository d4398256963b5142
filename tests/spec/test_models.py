"""The document models: presets as DESIGN.md tabulates them, durations, strategy overrides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autoopt.spec import parse_duration, presets, resolve_strategy
from autoopt.spec.durations import format_duration
from autoopt.spec.models import NumericRange, StrategyOverride

# preset: (min_improvement, min_confidence, max_risk, steps, durations, error-rate trigger)
DESIGN_TABLE = {
    "conservative": (0.15, 0.90, 0.05, [1, 5, 25, 50, 100], ["10m", "15m", "30m", "1h"], 0.02),
    "balanced": (0.10, 0.80, 0.10, [5, 25, 50, 100], ["5m", "10m", "15m"], 0.05),
    "aggressive": (0.05, 0.70, 0.20, [10, 50, 100], ["3m", "5m"], 0.10),
}


@pytest.mark.parametrize("name", sorted(DESIGN_TABLE))
def test_presets_hold_the_design_values(name: str) -> None:
    spec = presets()[name].spec
    improvement, confidence, risk, steps, durations, error_rate = DESIGN_TABLE[name]
    assert spec.thresholds.min_improvement == improvement
    assert spec.thresholds.min_confidence == confidence
    assert spec.thresholds.max_risk == risk
    assert spec.rollout.steps == steps
    assert spec.rollout.durations == [parse_duration(d) for d in durations]
    assert spec.triggers.error_rate_increase == error_rate


def test_balanced_rollback_triggers() -> None:
    triggers = presets()["balanced"].spec.triggers
    assert (triggers.latency_p95_increase, triggers.quality_decrease) == (0.20, 0.10)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), ("250ms", 0.25)],
)
def test_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5", "m5", "5 m", "1h 30m", "-5m", "0s", "5min"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [1, 59, 60, 61, 3599, 3600, 5400, 86400, 90061])
def test_format_duration_inverts_parse(seconds: int) -> None:
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


def test_override_merges_into_the_preset() -> None:
    ref = StrategyOverride.model_validate(
        {
            "extends": "balanced",
            "thresholds": {"min_improvement": 0.2},
            "triggers": {"cost_increase": 0.1},
        }
    )
    merged = resolve_strategy(ref, presets()).spec
    assert merged.thresholds.min_improvement == 0.2
    assert merged.thresholds.min_confidence == 0.80
    assert merged.triggers.cost_increase == 0.1
    assert merged.rollout.steps == [5, 25, 50, 100]


def test_numeric_range_values_are_exact_steps() -> None:
    assert NumericRange(min=0.0, max=1.0, step=0.1).values() == [
        0.0,
        0.1,
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
    ]
