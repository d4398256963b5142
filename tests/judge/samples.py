"""Deterministic arm samples for table tests: quantile-spaced values, no randomness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from scipy.stats import lognorm

from autoopt.decide.judge import Look
from autoopt.spec import presets
from autoopt.spec.models import StrategySpec
from autoopt.values import ArmSample, Interval, StageObservation

BALANCED = presets()["balanced"].spec
PAST_HOLD = Look.of(BALANCED.rollout, 0, timedelta(minutes=6))
EARLY = Look.of(BALANCED.rollout, 0, timedelta(minutes=2))


def spec_with(**sections: dict[str, Any]) -> StrategySpec:
    data = BALANCED.model_dump(mode="json")
    for name, values in sections.items():
        data[name].update(values)
    return StrategySpec.model_validate(data)


def arm(
    n: int,
    *,
    error_rate: float = 0.02,
    p95_ms: float = 2000.0,
    quality: float | None = 80.0,
    cost: float | None = 0.002,
) -> ArmSample:
    """``n`` requests whose latencies sit exactly on a lognormal's quantiles (σ = 0.5)."""
    errors = round(n * error_rate)
    ok = n - errors
    u = (np.arange(ok) + 0.5) / ok
    median = p95_ms / float(np.exp(0.5 * 1.6448536269514722))
    latencies = lognorm.ppf(u, 0.5, scale=median)
    spread = np.linspace(-1.0, 1.0, ok)  # sd ≈ 0.58 of the scale below
    q = (quality * (1 + 0.2 * spread)) if quality is not None else np.empty(0)
    c = (cost * (1 + 0.5 * np.linspace(-1.0, 1.0, n))) if cost is not None else np.empty(0)
    return ArmSample(
        n=n,
        errors=errors,
        latencies_ms=latencies,
        quality_n=int(q.size),
        quality_sum=float(q.sum()),
        quality_sumsq=float((q * q).sum()),
        cost_n=int(c.size),
        cost_sum=float(c.sum()),
        cost_sumsq=float((c * c).sum()),
    )


def observe(*pairs: tuple[int, ArmSample, ArmSample]) -> StageObservation:
    """An observation from (stage, stable, canary) triples."""
    return StageObservation(tuple(Interval(s, stable, canary) for s, stable, canary in pairs))
