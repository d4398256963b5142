"""The interval estimates behind every summary, in plain numpy.

Each interval is 95% and its coverage is measured against known truth
(tests/metrics/test_coverage.py in the suite, ``tests/benchmarks/bench_coverage.py`` for the
whole grid; figures in docs/metrics.md):

* proportions (error rate): Wilson score interval once both counts reach
  :data:`MIN_EVENTS`; below that the exact (Clopper–Pearson) interval, whose coverage is at
  least 95% whatever the rate. The estimate carries its ``trials`` so the gates take a
  probability of breaking a bound from the exact binomial tail (:func:`binom_cdf`);
* means (cost, quality, tokens): Student's interval with Hall's (1992) skewness correction,
  ``enough`` only from :data:`MIN_MEAN_N` values (skewed costs under-cover below that);
* quantiles (latency): the sample quantile is the inverse of the empirical CDF
  (numpy ``method="inverted_cdf"``, DuckDB ``quantile_disc``): ``x_(⌈n·p⌉)``; its interval is
  distribution-free, each end between two adjacent order statistics, interpolated so that
  each side misses with probability 2.5% under Binomial(n, p). Below
  :func:`quantile_min_n` (p95: 72, p99: 368) one end does not exist: the estimate is marked
  not ``enough`` and the missing end is clamped to the sample minimum or maximum;
* the request rate of a Poisson stream, for projected daily cost: ``(N − 1) / span`` with
  its exact Gamma interval (:func:`rate_estimate`), combined with the cost per request.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autoopt.metrics import binomial
from autoopt.probability import binom_pmf, clopper_pearson, student_quantile
from autoopt.values import Z95, Estimate

FloatArray = NDArray[np.float64]

#: Below this many events (or non-events) a proportion's interval is the exact one.
MIN_EVENTS = 10
#: Below this many values a mean's interval is marked not enough data (docs/metrics.md).
MIN_MEAN_N = 100
_TAIL = 0.025


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


def proportion_estimate(successes: int, n: int) -> Estimate:
    """The proportion with Wilson's interval, or the exact one when either count is small.

    The result carries ``trials=n``; its ``se`` is the one its interval implies when the
    count is small (a plain √(p(1−p)/n) would be 0 for 0 errors)."""
    if n <= 0:
        raise ValueError("proportion_estimate needs n > 0")
    if min(successes, n - successes) >= MIN_EVENTS:
        found = wilson(successes, n)
        return Estimate(found.value, found.low, found.high, found.se, trials=n)
    low, high = clopper_pearson(successes, n)
    return Estimate(successes / n, low, high, None, trials=n)


def mean_estimate(values: FloatArray, z: float = Z95) -> Estimate | None:
    """The mean with a 95% interval corrected for skewness; None when there are no values.

    Hall's transformation of the studentised mean, ``g(T) = T + γ(1 + 2T²)/(6√n) +
    γ²T³/(27n)`` with ``γ`` the sample skewness, is monotone and inverts in closed form; the
    interval is every μ with ``|g(T(μ))| ≤ t`` (t: Student's quantile, n − 1 df). It leans
    towards the long tail, where the plain ``mean ± t·se`` misses. Marked not ``enough``
    below :data:`MIN_MEAN_N` values.
    """
    data = np.asarray(values, dtype="float64")
    data = data[~np.isnan(data)]
    n = data.size
    if n == 0:
        return None
    mean = float(data.mean())
    enough = n >= MIN_MEAN_N
    if n == 1:
        return Estimate(mean, -math.inf, math.inf, math.inf, enough=False)
    sd = float(data.std(ddof=1))
    se = sd / math.sqrt(n)
    if se == 0.0 or not math.isfinite(se):
        return Estimate(mean, mean - z * se, mean + z * se, se, enough=enough)
    centred = data - mean
    skew = float(np.mean(centred**3)) / float(np.mean(centred**2)) ** 1.5
    t = student_quantile(z, n - 1)
    a, b = skew / (3 * math.sqrt(n)), skew / (6 * math.sqrt(n))
    low = mean - se * _hall_inverse(t, a, b)
    high = mean - se * _hall_inverse(-t, a, b)
    return Estimate(mean, low, high, se, enough=enough)


def _hall_inverse(u: float, a: float, b: float) -> float:
    """The T with ``g(T) = u`` for ``g(T) = ((1 + aT)³ − 1)/(3a) + b``."""
    if abs(a) < 1e-12:
        return u - b
    return (float(np.cbrt(1 + 3 * a * (u - b))) - 1) / a


def quantile_min_n(p: float, level: float = 0.95) -> int:
    """The smallest n whose order statistics hold a two-sided ``level`` interval for the
    ``p`` quantile (both ends exist): p50 6, p95 72, p99 368."""
    tail = (1 - level) / 2
    return math.ceil(math.log(tail) / math.log(max(p, 1 - p)) - 1e-12)


def rate_estimate(events: int, seconds: float, z: float = Z95) -> Estimate:
    """Events per second of a Poisson stream seen from its first to its last event.

    Between the first and the last of ``events`` arrivals ``events − 1`` gaps were timed, so
    ``rate·span ~ Gamma(events − 1)``: the estimate is ``(events − 1) / span`` (``events /
    span`` is biased up by about 2/N) and its interval the Gamma quantiles over the span
    (Wilson–Hilferty; within 0.2% of exact from 10 events). Marked not ``enough`` below 10.
    """
    shape = events - 1
    if shape < 1 or seconds <= 0:
        return Estimate(
            0.0 if events <= 1 else events / max(seconds, 1e-9),
            0.0,
            math.inf,
            math.inf,
            enough=False,
        )
    rate = shape / seconds

    def gamma_quantile(q_z: float) -> float:
        return shape * max(1 - 1 / (9 * shape) + q_z / (3 * math.sqrt(shape)), 0.0) ** 3

    low, high = gamma_quantile(-z) / seconds, gamma_quantile(z) / seconds
    return Estimate(rate, low, high, rate / math.sqrt(shape), enough=shape >= 10)


def product_estimate(first: Estimate, second: Estimate) -> Estimate:
    """The product of two independent positive estimates (cost per request × requests):
    relative half-widths add in quadrature, each side on its own (the delta method)."""
    value = first.value * second.value
    if first.value <= 0 or second.value <= 0:
        return Estimate(
            value,
            first.low * second.low,
            first.high * second.high,
            None,
            enough=first.enough and second.enough,
        )

    def side(a: float, b: float) -> float:
        return math.hypot(a / first.value - 1, b / second.value - 1)

    down, up = side(first.low, second.low), side(first.high, second.high)
    se = value * math.hypot(first.stderr / first.value, second.stderr / second.value)
    return Estimate(
        value,
        value * (1 - min(down, 1.0)),
        value * (1 + up),
        se,
        enough=first.enough and second.enough,
    )


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
    """The ``p`` sample quantile (inverted CDF) with its interpolated order-statistic interval.

    Not ``enough`` below :func:`quantile_min_n`: the end that does not exist is clamped to the
    sample's minimum or maximum, so the interval shown is too narrow on that side.
    """
    data = np.asarray(values, dtype="float64")
    data = data[~np.isnan(data)]
    n = data.size
    if n == 0:
        return None
    k = min(max(1, math.ceil(n * p - 1e-12)), n)
    (r, lam), (s, mu), enough = _interpolated_ends(n, p, (1.0 - level) / 2)
    wanted = sorted({k - 1, r - 1, min(r, n - 1), s - 1, max(s - 2, 0)})
    picked = np.partition(data, wanted)
    low = picked[r - 1] + lam * (picked[min(r, n - 1)] - picked[r - 1])
    high = picked[s - 1] - mu * (picked[s - 1] - picked[max(s - 2, 0)])
    return Estimate(float(picked[k - 1]), float(low), float(high), enough=enough)


def quantile_ends_arrays(n: NDArray[Any], p: float, level: float = 0.95) -> dict[str, Any]:
    """:func:`quantile_estimate`'s ranks and weights for every size in ``n`` (all ≥ 1):
    arrays ``k`` (point), ``lo``/``lam`` (low end), ``hi``/``mu`` (high end), ``enough``."""
    sizes = np.asarray(n, dtype="int64")
    out: dict[str, Any] = {
        "k": np.clip(np.ceil(sizes * p - 1e-12), 1, sizes).astype("int64"),
        "lo": np.ones(sizes.size, dtype="int64"),
        "lam": np.zeros(sizes.size),
        "hi": sizes.copy(),
        "mu": np.zeros(sizes.size),
        "enough": np.zeros(sizes.size, dtype=bool),
    }
    for size in np.unique(sizes):
        (r, lam), (s, mu), enough = _interpolated_ends(int(size), p, (1.0 - level) / 2)
        at = sizes == size
        out["lo"][at], out["lam"][at], out["hi"][at], out["mu"][at] = r, lam, s, mu
        out["enough"][at] = enough
    return out


def _interpolated_ends(
    n: int, p: float, tail: float
) -> tuple[tuple[int, float], tuple[int, float], bool]:
    """1-based ranks and weights of both ends: ``low = x_(r) + λ(x_(r+1) − x_(r))``,
    ``high = x_(s) − μ(x_(s) − x_(s−1))``, each missing the quantile with probability
    ``tail`` (``B``, the count below the quantile, is Binomial(n, p))."""
    k0, pmf = binom_pmf(n, p)
    cdf = np.cumsum(pmf)  # cdf[i] = P(B ≤ k0 + i)

    def at(j: int) -> float:
        return 0.0 if j < k0 else 1.0 if j - k0 >= cdf.size else float(cdf[j - k0])

    below = int(np.searchsorted(cdf, tail, side="right"))  # count of j with F(j) ≤ tail
    r = k0 + below  # largest j with F(j) ≤ tail, plus one
    enough = r >= 1
    if r < 1:
        r, lam = 1, 0.0
    else:
        lam = (tail - at(r - 1)) / max(at(r) - at(r - 1), 1e-300) if r < n else 0.0
    j = k0 + int(np.searchsorted(cdf, 1.0 - tail, side="left"))  # smallest j: F(j) ≥ 1 − tail
    s = j + 1
    if s > n:
        return (r, min(max(lam, 0.0), 1.0)), (n, 0.0), False
    mu = (tail - (1.0 - at(s - 1))) / max(at(s - 1) - at(s - 2), 1e-300) if s > 1 else 0.0
    return (r, min(max(lam, 0.0), 1.0)), (s, min(max(mu, 0.0), 1.0)), enough


def quantile_coverage(n: int, p: float, level: float = 0.95) -> float:
    """Exact coverage ``P(x_(r) ≤ ξ_p < x_(s))`` of :func:`quantile_ranks` (continuous data)."""
    _k, r, s = quantile_ranks(n, p, level)
    return binomial.cdf(s - 1, n, p) - binomial.cdf(r - 1, n, p)
