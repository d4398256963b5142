"""Exact distributions that both ``metrics`` (intervals) and ``decide`` (risk) need.

Pure numpy and the standard library: no scipy on these paths, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
_TAIL = 0.025


def clopper_pearson(successes: int, n: int, tail: float = _TAIL) -> tuple[float, float]:
    """The exact interval: every p whose binomial tail on the observed side exceeds ``tail``."""
    low = 0.0 if successes <= 0 else _solve(lambda p: 1.0 - binom_cdf(successes - 1, n, p), tail)
    high = 1.0 if successes >= n else _solve(lambda p: -binom_cdf(successes, n, p), -tail)
    return low, high


def _solve(increasing: Callable[[float], float], target: float) -> float:
    """The p in (0, 1) where the increasing function reaches ``target`` (bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(64):
        mid = (lo + hi) / 2
        if increasing(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def binom_pmf(n: int, p: float) -> tuple[int, FloatArray]:
    """``(k0, pmf)``: Binomial(n, p) probabilities of ``k0, k0 + 1, …`` over the range that
    holds all its mass but about 1e-30 (so a large n costs O(√n), not O(n))."""
    if p <= 0.0:
        return 0, np.ones(1)
    if p >= 1.0:
        return n, np.ones(1)
    sd = math.sqrt(n * p * (1 - p))
    k0 = max(0, math.floor(n * p - 12 * sd - 12))
    k1 = min(n, math.ceil(n * p + 12 * sd + 12))
    first = (
        math.lgamma(n + 1)
        - math.lgamma(k0 + 1)
        - math.lgamma(n - k0 + 1)
        + k0 * math.log(p)
        + (n - k0) * math.log1p(-p)
    )
    k = np.arange(k0, k1, dtype="float64")
    steps = np.log((n - k) / (k + 1)) + math.log(p) - math.log1p(-p)
    logs = first + np.concatenate(([0.0], np.cumsum(steps)))
    return k0, np.exp(logs)


def binom_cdf(k: int, n: int, p: float) -> float:
    """``P(B ≤ k)`` for ``B ~ Binomial(n, p)``, exactly (up to ~1e-12)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    k0, pmf = binom_pmf(n, p)
    if k < k0:
        return 0.0
    return float(min(1.0, pmf[: k - k0 + 1].sum()))


def student_quantile(z: float, df: float) -> float:
    """Student's t quantile at the normal quantile ``z`` (Cornish–Fisher, error < 1e-4 from
    df = 10)."""
    if df <= 0:
        return math.inf
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )
