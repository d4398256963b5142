"""The scipy-free binomial quantiles give scipy's integers; the CDF agrees to ~1e-15."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from autoopt.metrics import binomial

PROBS = [0.5, 0.95, 0.99, 0.999, 0.9, 0.75, 0.25, 0.1, 0.01, 1 / 3]
TAILS = [0.025, 0.975, 0.005, 0.995, 0.05, 0.95]


@pytest.mark.parametrize("p", PROBS)
def test_ppf_is_scipys_for_every_n_up_to_1500(p: float) -> None:
    sizes = np.arange(1, 1501)
    for q in TAILS:
        expected = binom.ppf(q, sizes, p).astype("int64")
        found = np.array([binomial.ppf(q, int(n), p) for n in sizes])
        wrong = np.nonzero(found != expected)[0]
        assert wrong.size == 0, (q, sizes[wrong][:5], expected[wrong][:5], found[wrong][:5])


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
def test_ppf_array_is_scipys_for_large_n(p: float) -> None:
    rng = np.random.default_rng(7)
    sizes = np.concatenate([rng.integers(1_500, 100_000, 150), rng.integers(10**5, 10**7, 40)])
    for q in (0.025, 0.975):
        assert np.array_equal(binomial.ppf_array(q, sizes, p), binom.ppf(q, sizes, p))


def test_ppf_array_keeps_shape_and_order() -> None:
    sizes = np.array([[40, 10], [40, 2000]])
    found = binomial.ppf_array(0.975, sizes, 0.95)
    assert found.shape == (2, 2)
    assert found.tolist() == binom.ppf(0.975, sizes, 0.95).astype(int).tolist()


def test_ppf_edges_are_scipys() -> None:
    for q, n, p in [(0.0, 10, 0.5), (1.0, 10, 0.5), (0.5, 0, 0.5), (0.3, 10, 0.0), (0.3, 10, 1.0)]:
        assert binomial.ppf(q, n, p) == binom.ppf(q, n, p), (q, n, p)
    with pytest.raises(ValueError, match="binomial quantile"):
        binomial.ppf(1.5, 10, 0.5)


@pytest.mark.parametrize("n", [1, 7, 60, 999, 25_000, 3_000_000])
@pytest.mark.parametrize("p", [0.5, 0.95, 0.01])
def test_cdf_and_pmf_agree_with_scipy(n: int, p: float) -> None:
    centre, sd = n * p, (n * p * (1 - p)) ** 0.5
    points = {0, n, int(centre), int(centre - 2 * sd), int(centre + 2 * sd), n - 1}
    for k in sorted(k for k in points if 0 <= k <= n):
        assert binomial.cdf(k, n, p) == pytest.approx(binom.cdf(k, n, p), rel=1e-12, abs=1e-15)
        assert binomial.pmf(k, n, p) == pytest.approx(binom.pmf(k, n, p), rel=1e-12, abs=1e-300)
    assert binomial.cdf(-1, n, p) == 0.0
    assert binomial.cdf(n, n, p) == 1.0
