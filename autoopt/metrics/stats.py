"""The interval estimates behind every summary, in plain numpy.

* proportions (error rate): Wilson score interval, 95%;
* means (cost, quality, tokens): normal interval ``mean ± z·sd/√n``;
* quantiles (latency): the sample quantile is the inverse of the empirical CDF
  (numpy ``method="inverted_cdf"``, DuckDB ``quantile_disc``): ``x_(⌈n·p⌉)``; its interval is
  distribution-free, between two order statistics ``x_(r)`` and ``x_(s)`` chosen from the
  Binomial(n, p) distribution so that ``P(x_(r) ≤ ξ_p < x_(s)) ≥ 95%`` for any continuous
  distribution. When n is too small for that (e.g. p99 with n < 300) the missing side is
  clamped to the sample minimum or maximum and the interval has less than 95% coverage.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autoopt.metrics import binomial
from autoopt.values import Z95, Estimate

FloatArray = NDArray[np.float64]


def wilson(successes: int, n: int, z: float = Z95) -> Estimate:
    """The proportion ``successes / n`` with its Wilson score interval."""
    if n <= 0:
        raise ValueError("wilson needs n > 0")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), math.sqrt(p * (1 - p) / n))


def wilson_arrays(
    successes: NDArray[Any], n: NDArray[Any], z: float = Z95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Vectorised :func:`wilson`: (value, low, high) arrays; NaN where n is 0."""
    k = np.asarray(successes, dtype="float64")
    m = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        denom = 1 + z * z / m
        centre = (p + z * z / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / denom
    return p, np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def mean_estimate(values: FloatArray, z: float = Z95) -> Estimate | None:
    """The mean with a normal 95% interval; None when there are no values."""
    data = np.asarray(values, dtype="float64")
    data = data[~np.isnan(data)]
    n = data.size
    if n == 0:
        return None
    mean = float(data.mean())
    if n == 1:
        return Estimate(mean, -math.inf, math.inf, math.inf)
    se = float(data.std(ddof=1)) / math.sqrt(n)
    return Estimate(mean, mean - z * se, mean + z * se, se)


def quantile_ranks(n: int, p: float, level: float = 0.95) -> tuple[int, int, int]:
    """1-based ranks ``(k, r, s)``: the point ``x_(k)`` and the interval ``[x_(r), x_(s)]``.

    ``r`` and ``s`` are clamped to ``1..n``.
    """
    alpha = 1.0 - level
    k = max(1, math.ceil(n * p - 1e-12))
    r = binomial.ppf(alpha / 2, n, p)
    s = binomial.ppf(1 - alpha / 2, n, p) + 1
    return min(k, n), min(max(r, 1), n), min(max(s, 1), n)


def quantile_ranks_arrays(
    n: NDArray[Any], p: float, level: float = 0.95
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Vectorised :func:`quantile_ranks` over an array of sample sizes (all ≥ 1)."""
    sizes = np.asarray(n, dtype="int64")
    alpha = 1.0 - level
    k = np.clip(np.ceil(sizes * p - 1e-12), 1, sizes).astype("int64")
    r = np.clip(binomial.ppf_array(alpha / 2, sizes, p), 1, sizes).astype("int64")
    s = np.clip(binomial.ppf_array(1 - alpha / 2, sizes, p) + 1, 1, sizes).astype("int64")
    return k, r, s


def quantile_estimate(values: FloatArray, p: float, level: float = 0.95) -> Estimate | None:
    """The ``p`` sample quantile (inverted CDF) with its order-statistic interval."""
    data = np.asarray(values, dtype="float64")
    data = data[~np.isnan(data)]
    n = data.size
    if n == 0:
        return None
    k, r, s = quantile_ranks(n, p, level)
    picked = np.partition(data, sorted({k - 1, r - 1, s - 1}))
    return Estimate(float(picked[k - 1]), float(picked[r - 1]), float(picked[s - 1]))


def quantile_coverage(n: int, p: float, level: float = 0.95) -> float:
    """Exact coverage ``P(x_(r) ≤ ξ_p < x_(s))`` of :func:`quantile_ranks` (continuous data)."""
    _k, r, s = quantile_ranks(n, p, level)
    return binomial.cdf(s - 1, n, p) - binomial.cdf(r - 1, n, p)
