"""Latency statistics on bucket counts (autoopt.decide.binned) against theory and brute force.

Histograms are drawn the way a Prometheus histogram fills: a multinomial over the buckets with
the exact bucket probabilities of a lognormal, ten thousand datasets per call (vectorised).
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, norm

from autoopt.decide import binned

SIGMA, MEDIAN = 0.5, 800.0
#: Prometheus-style buckets for LLM calls (ms): what a real histogram typically has
COARSE = (100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10_000.0, 30_000.0, math.inf)
#: a fine exported histogram: buckets 2.5% wide
FINE_EXPORT = (*(float(b) for b in 50 * 1.025 ** np.arange(360)), math.inf)


def bucket_probs(bounds: tuple[float, ...], factor: float = 1.0) -> np.ndarray:
    upper = np.asarray(bounds)
    cdf = norm.cdf(np.log(upper / (MEDIAN * factor)) / SIGMA)
    return np.diff(cdf, prepend=0.0)


def test_quantile_interpolates_inside_the_bucket_like_histogram_quantile() -> None:
    bounds = (100.0, 200.0, 400.0, math.inf)
    counts = np.array([10, 30, 60, 0])
    # rank 25 is 15 of the 30 in (100, 200]: halfway
    assert binned.quantile(bounds, counts, 25.0) == pytest.approx(150.0)
    assert binned.quantile(bounds, counts, 5.0) == pytest.approx(50.0)  # first bucket from 0
    assert binned.quantile(bounds, counts, 100.0) == pytest.approx(400.0)
    assert binned.quantile(bounds, np.array([10, 30, 50, 10]), 95.0) == math.inf  # in +Inf
    rng = np.random.default_rng(1)
    x = MEDIAN * np.exp(SIGMA * rng.standard_normal(20_000))
    fine = binned.quantile(binned.FINE_BOUNDS, binned.histogram(x), 0.95 * x.size)
    assert fine == pytest.approx(np.quantile(x, 0.95), rel=0.005)  # 1% buckets


@pytest.mark.parametrize("bounds", [FINE_EXPORT, COARSE])
def test_log_p95_variance_from_counts_matches_its_spread_over_datasets(
    bounds: tuple[float, ...],
) -> None:
    """The order-statistic variance read through the interpolation is the variance of the
    interpolated estimate itself, at fine and at coarse buckets (10,000 histograms)."""
    rng = np.random.default_rng(2)
    n = 2_000
    counts = rng.multinomial(n, bucket_probs(bounds), size=10_000)
    log_q, var = binned.log_quantile(bounds, counts)
    assert np.isfinite(log_q).all()
    assert np.var(log_q) == pytest.approx(np.mean(var), rel=0.12)
    if bounds is FINE_EXPORT:  # and at fine buckets, the lognormal's asymptotic value
        theory = 0.95 * 0.05 * SIGMA**2 / (n * norm.pdf(norm.ppf(0.95)) ** 2)
        assert np.mean(var) == pytest.approx(theory, rel=0.1)
        assert np.mean(log_q) == pytest.approx(math.log(MEDIAN) + SIGMA * 1.6449, abs=0.01)


def test_a_p95_beyond_the_last_finite_bucket_is_not_measurable() -> None:
    bounds = (100.0, 1000.0, math.inf)
    log_q, var = binned.log_quantile(bounds, np.array([50, 900, 60]))
    assert math.isnan(float(log_q)) and math.isnan(float(var))
    assert math.isnan(float(binned.log_quantile(bounds, np.array([5, 10, 0]))[0]))  # n < 20


def test_auc_is_mann_whitney_with_ties_by_brute_force() -> None:
    rng = np.random.default_rng(3)
    bounds = (1.0, 2.0, 3.0, 4.0, math.inf)
    for _ in range(20):
        s, c = rng.integers(0, 6, 5), rng.integers(0, 6, 5)
        if s.sum() < 2 or c.sum() < 2:
            continue
        xs, xc = np.repeat(np.arange(5), s), np.repeat(np.arange(5), c)
        pairs = [(a > b) + 0.5 * (a == b) for a, b in product(xc, xs)]
        value, var = binned.auc(s, c)
        assert float(value) == pytest.approx(np.mean(pairs))
        u = mannwhitneyu(xc, xs, method="asymptotic", use_continuity=False)
        z = (float(value) - 0.5) / math.sqrt(float(var))
        assert 2 * norm.sf(abs(z)) == pytest.approx(u.pvalue, rel=1e-6)
    assert len(bounds) == 5
