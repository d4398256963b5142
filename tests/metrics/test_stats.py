"""The interval estimates against theory, brute force and numpy/DuckDB references."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.stats import binom
from scipy.stats import t as student_t

from autoopt.metrics.stats import (
    mean_estimate,
    quantile_coverage,
    quantile_estimate,
    quantile_ranks,
    student_quantile,
    wilson,
    wilson_arrays,
)
from autoopt.values import Z95


def wilson_by_root_finding(k: int, n: int) -> tuple[float, float]:
    """The Wilson interval by definition: every p0 the score test does not reject."""
    phat = k / n

    def score(p0: float) -> float:
        return abs(phat - p0) - Z95 * math.sqrt(p0 * (1 - p0) / n)

    low = 0.0 if k == 0 else brentq(score, 1e-15, phat - 1e-12)
    high = 1.0 if k == n else brentq(score, phat + 1e-12, 1 - 1e-15)
    return low, high


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (3, 1000), (470, 9037)])
def test_wilson_matches_its_definition(k: int, n: int) -> None:
    estimate = wilson(k, n)
    low, high = wilson_by_root_finding(k, n)
    assert estimate.value == k / n
    assert estimate.low == pytest.approx(low, abs=1e-9)
    assert estimate.high == pytest.approx(high, abs=1e-9)
    value, lows, highs = wilson_arrays(np.array([k]), np.array([n]))
    assert (value[0], lows[0], highs[0]) == pytest.approx(
        (estimate.value, estimate.low, estimate.high)
    )


def test_wilson_covers_95_percent_over_repeated_samples() -> None:
    rng = np.random.default_rng(7)
    p, n, trials = 0.03, 400, 4000
    k = rng.binomial(n, p, trials)
    _v, low, high = wilson_arrays(k, np.full(trials, n))
    coverage = np.mean((low <= p) & (p <= high))
    exact = sum(
        binom.pmf(j, n, p) for j in range(n + 1) if wilson(j, n).low <= p <= wilson(j, n).high
    )
    assert coverage == pytest.approx(exact, abs=0.012)
    assert 0.93 <= exact <= 0.97


@given(
    st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([0.5, 0.9, 0.95, 0.99]),
)
@settings(max_examples=60, deadline=None)
def test_point_quantile_is_numpys_inverted_cdf_and_duckdbs_quantile_disc(
    values: list[float], p: float
) -> None:
    estimate = quantile_estimate(np.array(values), p)
    assert estimate is not None
    assert estimate.value == np.quantile(values, p, method="inverted_cdf")
    con = duckdb.connect()
    try:
        ddb = con.execute(
            "SELECT quantile_disc(x, ?) FROM (SELECT unnest(?) AS x)", [p, values]
        ).fetchone()
    finally:
        con.close()
    assert ddb is not None and estimate.value == ddb[0]
    assert estimate.low <= estimate.value <= estimate.high


@pytest.mark.parametrize(("n", "p"), [(50, 0.5), (200, 0.95), (1000, 0.99), (5000, 0.95)])
def test_order_statistic_ranks_give_at_least_95_percent(n: int, p: float) -> None:
    _k, r, s = quantile_ranks(n, p)
    assert 1 <= r <= s <= n
    assert quantile_coverage(n, p) >= 0.95
    # equal tails: each side misses with probability at most 2.5%, and moving either end
    # inwards would make that side miss more often
    below, above = binom.cdf(r - 1, n, p), binom.sf(s - 1, n, p)
    assert below <= 0.025 and above <= 0.025
    assert binom.cdf(r, n, p) > 0.025 or r == 1
    assert binom.sf(s - 2, n, p) > 0.025 or s == n


def test_quantile_interval_coverage_over_repeated_samples() -> None:
    rng = np.random.default_rng(11)
    n, trials = 400, 1500
    # the true quantiles of lognormal(6.5, 0.5): exp(6.5 + 0.5 z_p)
    truth = {0.5: math.exp(6.5), 0.95: math.exp(6.5 + 0.5 * 1.6448536269514722)}
    hits = dict.fromkeys(truth, 0)
    for _ in range(trials):
        sample = rng.lognormal(6.5, 0.5, n)
        for p, xi in truth.items():
            est = quantile_estimate(sample, p)
            assert est is not None
            hits[p] += est.low <= xi <= est.high
    for p in truth:
        coverage = hits[p] / trials
        assert coverage == pytest.approx(quantile_coverage(n, p), abs=0.02), p
        assert coverage >= 0.93


def test_small_samples_clamp_the_interval_to_the_sample_range() -> None:
    est = quantile_estimate(np.arange(1.0, 51.0), 0.99)
    assert est is not None and (est.value, est.high) == (50.0, 50.0)
    assert quantile_coverage(50, 0.99) < 0.95


def test_mean_estimate_without_skew_is_students_interval_and_skips_nan() -> None:
    data = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    est = mean_estimate(data)
    assert est is not None
    se = np.std([1, 2, 3, 4], ddof=1) / 2
    t = student_t.ppf(0.975, 3)
    assert (est.value, est.se) == pytest.approx((2.5, se))
    # Cornish–Fisher at 3 df is a little short of the exact quantile; from 10 df it is exact
    assert (2.5 - est.low, est.high - 2.5) == pytest.approx((t * se, t * se), rel=0.01)
    assert not est.enough
    assert mean_estimate(np.array([np.nan])) is None


@pytest.mark.parametrize("df", [10, 30, 99, 1000])
def test_student_quantile_matches_scipy(df: int) -> None:
    assert student_quantile(Z95, df) == pytest.approx(student_t.ppf(0.975, df), abs=2e-4)


def test_mean_interval_leans_towards_the_long_tail() -> None:
    rng = np.random.default_rng(3)
    sample = rng.lognormal(0.0, 1.0, 400)
    est = mean_estimate(sample)
    assert est is not None and est.enough
    assert est.high - est.value > est.value - est.low > 0
