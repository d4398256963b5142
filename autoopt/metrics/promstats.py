"""Estimates from aggregated data: histogram buckets and per-interval counter increases.

* **Percentiles from buckets.** The point is what PromQL's ``histogram_quantile`` returns
  (linear interpolation inside the bucket holding rank ``q·n``), so ``--explain``'s query
  gives the same number. The interval is distribution-free and honest about the buckets: the
  order statistics ``x_(r)``, ``x_(s)`` that bound the quantile with ≥ 95% probability
  (:func:`autoopt.metrics.stats.quantile_ranks`) are only known to lie in their buckets, so
  the interval runs from the lower bound of ``x_(r)``'s bucket to the upper bound of
  ``x_(s)``'s: sampling error and the bucket resolution together, never narrower than one
  bucket. Above the highest finite bound the interval is open (``inf``).
* **Means from counters** (cost per request, tokens, quality): the ratio ``Σy / Σn`` over
  the window's sub-intervals, with the batch-means (cluster) standard error
  ``√(k/(k−1) · Σ(yᵢ − R·nᵢ)²) / Σn`` and a Student-t interval on ``k − 1`` degrees of
  freedom; with fewer than two sub-intervals holding requests the interval is unbounded.
* **Error rates**: Wilson intervals from the counts (:func:`autoopt.metrics.stats.wilson`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import NDArray

from autoopt.metrics.stats import quantile_ranks
from autoopt.values import Estimate


def parse_le(text: str) -> float:
    """An ``le`` label as a number: ``"1"``, ``"1.0"``, ``"1e+00"`` and ``"+Inf"`` alike."""
    value = float(text)
    if math.isnan(value):
        raise ValueError(f"le={text!r} is not a bound")
    return value


def merge_buckets(pairs: Iterable[tuple[str, float]]) -> dict[float, float]:
    """Cumulative counts by upper bound, ``le`` spellings that mean one bound merged."""
    out: dict[float, float] = {}
    for le, count in pairs:
        bound = parse_le(le)
        out[bound] = out.get(bound, 0.0) + count
    return out


def per_bucket(cumulative: Mapping[float, float]) -> tuple[tuple[float, ...], NDArray[np.int64]]:
    """Bounds (ascending, ``inf`` last when present) and whole per-bucket counts.

    Cumulative counts that dip (extrapolated increases, a scrape in the middle of an update)
    are made monotonic first, as ``histogram_quantile`` does.
    """
    bounds = tuple(sorted(cumulative))
    cum = np.maximum.accumulate(np.array([max(cumulative[b], 0.0) for b in bounds]))
    whole = np.rint(cum).astype("int64")
    counts = np.diff(whole, prepend=0)
    return bounds, np.maximum(counts, 0)


def histogram_quantile(q: float, bounds: tuple[float, ...], counts: NDArray[np.int64]) -> float:
    """PromQL's ``histogram_quantile`` over per-bucket counts (NaN when it is NaN)."""
    if len(bounds) < 2 or not math.isinf(bounds[-1]):
        return math.nan
    cum = np.cumsum(counts).astype("float64")
    total = float(cum[-1])
    if total <= 0:
        return math.nan
    rank = q * total
    b = int(np.searchsorted(cum[:-1], rank, side="left"))
    if b == len(bounds) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start = bounds[b - 1] if b > 0 else 0.0
    below = float(cum[b - 1]) if b > 0 else 0.0
    count = float(cum[b]) - below
    return start + (bounds[b] - start) * ((rank - below) / count)


def _bucket_of(cum: NDArray[np.int64], rank: int) -> int:
    """The bucket holding the ``rank``-th (1-based) smallest observation."""
    return int(np.searchsorted(cum, rank, side="left"))


def quantile_from_buckets(
    q: float, bounds: tuple[float, ...], counts: NDArray[np.int64], level: float = 0.95
) -> Estimate | None:
    """The ``q`` quantile of a histogram with an interval covering sampling and buckets."""
    cum = np.cumsum(counts)
    n = int(cum[-1]) if cum.size else 0
    if n == 0:
        return None
    value = histogram_quantile(q, bounds, counts)
    _k, r, s = quantile_ranks(n, q, level)
    lo_bucket, hi_bucket = _bucket_of(cum, r), _bucket_of(cum, s)
    low = bounds[lo_bucket - 1] if lo_bucket > 0 else min(0.0, bounds[0])
    high = bounds[hi_bucket]
    if math.isnan(value):  # no +Inf bucket: still say what the buckets allow
        value = high if math.isfinite(high) else low
    return Estimate(value, min(low, value), max(high, value))


def ratio_estimate(
    sums: NDArray[np.float64], counts: NDArray[np.float64], level: float = 0.95
) -> Estimate | None:
    """``Σ sums / Σ counts`` with its batch-means interval over the sub-intervals."""
    from scipy.stats import t

    keep = counts > 0
    y, x = np.asarray(sums, dtype="float64")[keep], np.asarray(counts, dtype="float64")[keep]
    total = float(x.sum())
    if total <= 0:
        return None
    ratio = float(y.sum()) / total
    k = int(x.size)
    if k < 2:
        return Estimate(ratio, -math.inf, math.inf, math.inf)
    residual = y - ratio * x
    se = math.sqrt(k / (k - 1) * float(np.square(residual).sum())) / total
    half = float(t.ppf(0.5 + level / 2, k - 1)) * se
    return Estimate(ratio, ratio - half, ratio + half, se)
