"""The tests behind every baseline comparison, and the multiple-comparison corrections.

* means (cost, quality, tokens): Welch's unequal-variance t test, from sufficient statistics
  (count, mean, variance) so merged buckets never need the rows;
* latency: the Mann–Whitney U test, normal approximation with the tie correction and a
  continuity correction (scipy's ``mannwhitneyu(method="asymptotic")``);
* error rates: the pooled two-proportion z test (the same p-value as a 2×2 chi-squared test
  without Yates' correction);
* against a pinned value (a golden baseline declared as numbers): the one-sample t test, and
  the score test of a proportion (also used for "the share of requests slower than the
  pinned p95 is 5%").

Every p-value is two-sided. ``adjust`` applies Holm, Bonferroni or Benjamini–Hochberg.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr
from scipy.stats import t as student_t

Correction = Literal["holm", "bonferroni", "bh", "none"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Moments:
    """Count, mean and (sample, ddof=1) variance of some values."""

    n: int
    mean: float
    var: float

    @classmethod
    def of(cls, values: FloatArray) -> Moments:
        data = np.asarray(values, dtype="float64")
        data = data[np.isfinite(data)]
        if data.size == 0:
            return cls(0, math.nan, math.nan)
        var = float(data.var(ddof=1)) if data.size > 1 else math.nan
        return cls(int(data.size), float(data.mean()), var)

    @classmethod
    def from_sums(cls, n: float, total: float, sumsq: float) -> Moments:
        """From a count, a sum and a sum of squares (what merged buckets keep)."""
        count = int(n)
        if count == 0:
            return cls(0, math.nan, math.nan)
        mean = total / count
        var = max(sumsq - count * mean * mean, 0.0) / (count - 1) if count > 1 else math.nan
        return cls(count, mean, var)


@dataclass(frozen=True)
class TestResult:
    """A test statistic, its two-sided p-value, and which test it was."""

    test: str
    statistic: float
    p_value: float


def _two_sided_normal(z: float) -> float:
    return float(2.0 * ndtr(-abs(z)))


def welch(a: Moments, b: Moments) -> TestResult:
    """Welch's t test of ``mean(a) == mean(b)`` (NaN p-value when either has < 2 values)."""
    if a.n < 2 or b.n < 2:
        return TestResult("welch", math.nan, math.nan)
    va, vb = a.var / a.n, b.var / b.n
    se2 = va + vb
    diff = a.mean - b.mean
    if se2 == 0:
        return TestResult("welch", math.copysign(math.inf, diff) if diff else 0.0, float(diff == 0))
    t = diff / math.sqrt(se2)
    dof = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
    return TestResult("welch", t, float(2.0 * student_t.sf(abs(t), dof)))


def one_sample_t(a: Moments, value: float) -> TestResult:
    """The one-sample t test of ``mean(a) == value``."""
    if a.n < 2:
        return TestResult("one_sample_t", math.nan, math.nan)
    se = math.sqrt(a.var / a.n)
    diff = a.mean - value
    if se == 0:
        return TestResult("one_sample_t", math.copysign(math.inf, diff) if diff else 0.0, 1.0)
    t = diff / se
    return TestResult("one_sample_t", t, float(2.0 * student_t.sf(abs(t), a.n - 1)))


def _tie_ranks(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mid-ranks (1-based) of ``values`` and the sizes of their tie groups."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    _unique, first, counts = np.unique(ordered, return_index=True, return_counts=True)
    mid = first + (counts + 1) / 2.0  # the mean of the 1-based ranks first+1 .. first+count
    ranks = np.empty(values.size, dtype="float64")
    ranks[order] = np.repeat(mid, counts)
    return ranks, counts.astype("float64")


def mann_whitney(x: FloatArray, y: FloatArray) -> TestResult:
    """Mann–Whitney U of ``x`` against ``y``: U of ``x`` and the two-sided asymptotic p-value.

    Tie-corrected variance and a continuity correction of 0.5, as scipy's
    ``mannwhitneyu(x, y, method="asymptotic")``.
    """
    a = np.asarray(x, dtype="float64")
    b = np.asarray(y, dtype="float64")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n1, n2 = a.size, b.size
    if n1 == 0 or n2 == 0:
        return TestResult("mann_whitney", math.nan, math.nan)
    ranks, ties = _tie_ranks(np.concatenate([a, b]))
    u1 = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    tie_term = float((ties**3 - ties).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:
        return TestResult("mann_whitney", u1, 1.0)
    mean = n1 * n2 / 2.0
    deviation = max(abs(u1 - mean) - 0.5, 0.0)  # continuity correction towards the mean
    z = deviation / math.sqrt(var)
    return TestResult("mann_whitney", u1, min(1.0, _two_sided_normal(z)))


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """The pooled two-proportion z test of ``k1/n1 == k2/n2``."""
    if n1 <= 0 or n2 <= 0:
        return TestResult("two_proportions", math.nan, math.nan)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    diff = k1 / n1 - k2 / n2
    if se == 0:
        return TestResult("two_proportions", 0.0, 1.0)
    z = diff / se
    return TestResult("two_proportions", z, _two_sided_normal(z))


def one_proportion(k: int, n: int, p0: float) -> TestResult:
    """The score test of ``k/n == p0`` (the Wilson interval's test)."""
    if n <= 0 or not 0.0 < p0 < 1.0:
        return TestResult("one_proportion", math.nan, math.nan)
    z = (k / n - p0) / math.sqrt(p0 * (1 - p0) / n)
    return TestResult("one_proportion", z, _two_sided_normal(z))


def adjust(p_values: FloatArray, method: Correction) -> FloatArray:
    """Adjusted p-values; NaN entries stay NaN and do not count in the family.

    ``holm`` and ``bonferroni`` keep the family-wise error rate at the level; ``bh``
    (Benjamini–Hochberg) the false discovery rate.
    """
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    known = np.flatnonzero(np.isfinite(p))
    m = known.size
    if m == 0:
        return out
    values = p[known]
    if method == "none":
        adjusted = values
    elif method == "bonferroni":
        adjusted = np.minimum(values * m, 1.0)
    elif method == "holm":
        order = np.argsort(values, kind="mergesort")
        stepped = np.maximum.accumulate(values[order] * (m - np.arange(m)))
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
    else:  # bh
        order = np.argsort(values, kind="mergesort")[::-1]
        ranks = m - np.arange(m)  # the 1-based rank of each, largest first
        stepped = np.minimum.accumulate(values[order] * m / ranks)
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(stepped, 1.0)
    out[known] = adjusted
    return out
