"""The maths of aggregated data against theory and brute force, intervals by coverage."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from autoopt.metrics.promstats import (
    histogram_quantile,
    merge_buckets,
    per_bucket,
    quantile_from_buckets,
    ratio_estimate,
)

BOUNDS = (100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, math.inf)


def binned(values: np.ndarray, bounds: tuple[float, ...] = BOUNDS) -> np.ndarray:
    edges = [-np.inf, *bounds]
    return np.array(
        [((values > lo) & (values <= hi)).sum() for lo, hi in itertools.pairwise(edges)],
        dtype="int64",
    )


def test_le_spellings_of_one_bound_merge() -> None:
    merged = merge_buckets([("1", 3.0), ("1.0", 4.0), ("+Inf", 9.0), ("1e+00", 1.0)])
    assert merged == {1.0: 8.0, math.inf: 9.0}
    bounds, counts = per_bucket({1.0: 8.0, 0.5: 9.0, math.inf: 12.0})  # a dip: made monotonic
    assert bounds == (0.5, 1.0, math.inf) and counts.tolist() == [9, 0, 3]


def test_histogram_quantile_is_promql_s_interpolation() -> None:
    counts = np.array([10, 30, 40, 20, 0, 0, 0, 0], dtype="int64")
    # rank 0.5·100 = 50 lies in the third bucket (250, 500], 10 of its 40 in
    assert histogram_quantile(0.5, BOUNDS, counts) == pytest.approx(250 + 250 * 10 / 40)
    assert histogram_quantile(0.05, BOUNDS, counts) == pytest.approx(100 * 5 / 10)
    top = np.array([0, 0, 0, 0, 0, 0, 1, 9], dtype="int64")
    assert histogram_quantile(0.99, BOUNDS, top) == 10000.0  # in +Inf: the highest finite bound
    assert math.isnan(histogram_quantile(0.5, BOUNDS, np.zeros(8, dtype="int64")))
    assert math.isnan(histogram_quantile(0.5, BOUNDS[:-1], counts[:-1]))  # no +Inf bucket


@pytest.mark.parametrize(("q", "n"), [(0.5, 40), (0.95, 300), (0.99, 2000)])
def test_percentile_intervals_cover_the_true_quantile(q: float, n: int) -> None:
    rng = np.random.default_rng(7)
    truth = float(np.exp(np.log(800) + 0.7 * _z(q)))  # lognormal quantile
    trials, hits = 1500, 0
    for _ in range(trials):
        sample = rng.lognormal(np.log(800), 0.7, n)
        found = quantile_from_buckets(q, BOUNDS, binned(sample))
        assert found is not None and found.low <= found.value <= found.high
        hits += found.low <= truth <= found.high
    # distribution-free order-statistic ranks widened to whole buckets: at least 95%
    assert hits / trials >= 0.95


def _z(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def test_ratio_interval_coverage_is_nominal() -> None:
    """Cost per request from per-interval sums: 95% batch-means intervals cover ~95%."""
    rng = np.random.default_rng(11)
    mean = math.exp(-7 + 0.8**2 / 2)  # lognormal cost per request
    trials, hits = 2000, 0
    for _ in range(trials):
        counts = rng.poisson(20, 30).astype(float)
        sums = np.array([rng.lognormal(-7, 0.8, int(c)).sum() for c in counts])
        found = ratio_estimate(sums, counts)
        assert found is not None
        hits += found.low <= mean <= found.high
    assert abs(hits / trials - 0.95) < 0.02


def test_ratio_with_one_busy_interval_is_unbounded_and_none_without_requests() -> None:
    one = ratio_estimate(np.array([0.0, 3.0, 0.0]), np.array([0.0, 2.0, 0.0]))
    assert one is not None and one.value == 1.5 and math.isinf(one.high)
    assert ratio_estimate(np.zeros(3), np.zeros(3)) is None
