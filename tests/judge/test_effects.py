"""The per-metric estimators against theory and against a brute-force Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from autoopt.decide import effects
from autoopt.values import ArmSample
from tests.judge.samples import arm, observe


def test_margins_and_changes_are_inverse() -> None:
    assert effects.margin("error_rate", 0.05) == 0.05
    assert effects.margin("latency_p95", 0.2) == pytest.approx(math.log(1.2))
    assert effects.margin("quality", 0.1) == pytest.approx(-math.log(0.9))
    assert effects.margin("cost", 0.3) == pytest.approx(math.log(1.3))
    for metric, trigger in (("error_rate", 0.05), ("latency_p95", 0.2), ("quality", 0.1)):
        assert effects.to_change(metric, effects.margin(metric, trigger)) == pytest.approx(trigger)


def test_log_p95_variance_matches_asymptotic_theory_and_monte_carlo() -> None:
    """Var(log q̂_p) = p(1−p)σ² / (n φ(z_p)²) for a lognormal; the order-statistic estimate
    agrees with it and with the spread of q̂ over repeated samples."""
    rng = np.random.default_rng(5)
    n, sigma, reps = 2000, 0.5, 2000
    theory = 0.95 * 0.05 * sigma**2 / (n * norm.pdf(norm.ppf(0.95)) ** 2)
    logs, estimated = [], []
    for _ in range(reps):
        found = effects._log_quantile(np.exp(sigma * rng.standard_normal(n)))
        assert found is not None
        logs.append(found[0])
        estimated.append(found[1])
    assert np.var(logs) == pytest.approx(theory, rel=0.1)
    assert np.mean(estimated) == pytest.approx(theory, rel=0.1)
    assert np.mean(logs) == pytest.approx(sigma * norm.ppf(0.95), abs=0.01)
    assert effects._log_quantile(np.ones(10)) is None  # too few for an interval


def test_mean_ratio_variance_is_the_delta_method() -> None:
    rng = np.random.default_rng(6)
    n, reps = 500, 3000
    draws = rng.gamma(2.0, 0.001, (reps, n))
    found = [effects._log_mean(n, float(d.sum()), float((d * d).sum())) for d in draws]
    logs = np.array([f[0] for f in found if f is not None])
    assert np.var(logs) == pytest.approx(0.5 / n, rel=0.1)  # CV² of Gamma(2) is 1/2
    assert np.mean([f[1] for f in found if f is not None]) == pytest.approx(0.5 / n, rel=0.05)
    assert effects._log_mean(1, 1.0, 1.0) is None
    assert effects._log_mean(10, 0.0, 0.0) is None


def test_stages_are_strata_so_a_trend_in_time_is_not_a_regression() -> None:
    """Stage 0 at 5% with 1% errors, stage 1 at 50% with 10% errors on both arms: pooled
    naively the canary looks 6 points worse; stratified it is not worse at all."""
    obs = observe(
        (0, arm(9500, error_rate=0.01), arm(500, error_rate=0.01)),
        (1, arm(5000, error_rate=0.10), arm(5000, error_rate=0.10)),
    )
    pairs = effects.strata(obs)
    found = effects.effect("error_rate", pairs, 0.05)
    assert found is not None
    assert found.estimate == pytest.approx(0.0, abs=2e-3)  # Agresti–Caffo: +1 error, +2 n
    naive = found.canary - found.stable
    assert naive == pytest.approx(505 / 5500 - 595 / 14500, abs=1e-4)  # +5 points


def test_intervals_of_a_stage_merge_into_one_stratum() -> None:
    a, b = arm(1000), arm(3000, error_rate=0.1)
    merged = effects.merge([a, b])
    assert (merged.n, merged.errors) == (4000, 20 + 300)
    assert merged.latencies_ms.size == a.latencies_ms.size + b.latencies_ms.size
    assert merged.quality_sum == pytest.approx(a.quality_sum + b.quality_sum)
    pairs = effects.strata(observe((0, a, a), (1, b, b), (0, b, a)))
    assert [(s.n, c.n) for s, c in pairs] == [(4000, 2000), (3000, 3000)]


def test_unmeasurable_metrics_give_none() -> None:
    empty = ArmSample(0, 0, np.empty(0))
    pairs = [(empty, empty)]
    for metric in ("error_rate", "latency_p95", "quality", "cost"):
        assert effects.effect(metric, pairs, 0.1) is None
    no_quality = [(arm(500, quality=None), arm(500, quality=None))]
    assert effects.effect("quality", no_quality, 0.1) is None
    assert effects.effect("latency_p95", no_quality, 0.2) is not None
