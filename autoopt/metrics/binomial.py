"""Binomial(n, p) quantiles and CDF in plain Python, so the evaluate path never imports scipy.

:func:`ppf` returns the same integers as ``scipy.stats.binom.ppf`` — the smallest ``k`` with
``P(B ≤ k) ≥ q`` — and :func:`cdf` agrees with ``scipy.stats.binom.cdf`` to ~1e-15 (both are
pinned against scipy in ``tests/metrics/test_binomial.py``). Probabilities come from
Loader's saddle-point expansion of the pmf (the algorithm behind R's ``dbinom``: accurate to
a few ulps for any n, where ``lgamma`` differences lose digits as n grows); a tail is summed
from the point outwards until its terms stop counting, so a large n costs O(√n) terms, and a
quantile starts from the Cornish–Fisher normal guess, which is a few steps off at most.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import NDArray

_LN_2PI = math.log(2 * math.pi)
_HALF_LN_2PI = 0.5 * _LN_2PI
_S = (1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188)
_NORMAL = NormalDist()


def _stirlerr(n: float) -> float:
    """``log(n!) − log(√(2πn)·(n/e)ⁿ)``, the error of Stirling's formula."""
    if n <= 15:
        return math.lgamma(n + 1) - (n + 0.5) * math.log(n) + n - _HALF_LN_2PI
    s0, s1, s2, s3, s4 = _S
    nn = n * n
    if n > 500:
        return (s0 - s1 / nn) / n
    if n > 80:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _bd0(x: float, mean: float) -> float:
    """``x·log(x/mean) + mean − x`` without cancellation when x is close to mean."""
    if abs(x - mean) < 0.1 * (x + mean):
        v = (x - mean) / (x + mean)
        s = (x - mean) * v
        ej = 2 * x * v
        v2 = v * v
        j = 1
        while True:
            ej *= v2
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s1
            s = s1
            j += 1
    return x * math.log(x / mean) + mean - x


def pmf(k: int, n: int, p: float) -> float:
    """``P(B = k)`` (Loader 2000, as R's ``dbinom_raw``)."""
    q = 1.0 - p
    if k < 0 or k > n:
        return 0.0
    if p == 0.0:
        return 1.0 if k == 0 else 0.0
    if q == 0.0:
        return 1.0 if k == n else 0.0
    if k == 0:
        return math.exp(-_bd0(n, n * q) - n * p if p < 0.1 else n * math.log(q))
    if k == n:
        return math.exp(-_bd0(n, n * p) - n * q if q < 0.1 else n * math.log(p))
    lc = _stirlerr(n) - _stirlerr(k) - _stirlerr(n - k) - _bd0(k, n * p) - _bd0(n - k, n * q)
    lf = _LN_2PI + math.log(k) + math.log1p(-k / n)
    return math.exp(lc - 0.5 * lf)


def _lower(k: int, n: int, p: float, term: float) -> float:
    """``P(B ≤ k)`` summed downwards from ``term = P(B = k)`` (k below the mean)."""
    odds = (1.0 - p) / p
    total = term
    j = k
    while j > 0:
        term *= j / (n - j + 1) * odds
        j -= 1
        total += term
        if term <= total * 1e-18:
            break
    return total


def _upper(k: int, n: int, p: float, term: float) -> float:
    """``P(B > k)`` summed upwards from ``term = P(B = k)`` (k above the mean)."""
    odds = p / (1.0 - p)
    total = 0.0
    j = k
    while j < n:
        term *= (n - j) / (j + 1) * odds
        j += 1
        total += term
        if term <= total * 1e-18:
            break
    return total


def _cdf_at(k: int, n: int, p: float, term: float) -> float:
    return _lower(k, n, p, term) if k < n * p else 1.0 - _upper(k, n, p, term)


def cdf(k: int, n: int, p: float) -> float:
    """``P(B ≤ k)`` for ``B ~ Binomial(n, p)``."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    return min(1.0, max(0.0, _cdf_at(k, n, p, pmf(k, n, p))))


@lru_cache(maxsize=4096)
def ppf(q: float, n: int, p: float) -> int:
    """The smallest ``k`` in ``0..n`` with ``P(B ≤ k) ≥ q`` (scipy: -1 for q = 0)."""
    if math.isnan(q) or math.isnan(p) or q < 0 or q > 1 or n < 0:
        raise ValueError(f"binomial quantile needs 0 <= q <= 1 and n >= 0 (q={q}, n={n})")
    if q == 0.0:
        return -1
    if q == 1.0 or p >= 1.0:
        return n
    if p <= 0.0:
        return 0
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    z = _NORMAL.inv_cdf(q)
    guess = mean + sd * z + (z * z - 1) * (1 - 2 * p) / 6 - 0.5
    k = min(max(math.floor(guess), 0), n)
    term = pmf(k, n, p)
    below = _cdf_at(k, n, p, term)  # P(B <= k)
    up, down = p / (1 - p), (1 - p) / p
    while below < q and k < n:
        term *= (n - k) / (k + 1) * up
        k += 1
        below += term
    if k >= n and below < q:
        return n
    while k > 0 and below - term >= q:
        below -= term
        term *= k / (n - k + 1) * down
        k -= 1
    return k


def ppf_array(q: float, sizes: NDArray[Any], p: float) -> NDArray[np.int64]:
    """:func:`ppf` over an array of sample sizes (each distinct size computed once)."""
    n = np.asarray(sizes, dtype="int64")
    unique, where = np.unique(n, return_inverse=True)
    found = np.fromiter((ppf(q, int(m), p) for m in unique), dtype="int64", count=unique.size)
    return found[where].reshape(n.shape)
