"""Trends and change points of one series.

* **Theil–Sen**: the slope is the median of the pairwise slopes, with Sen's (1968)
  distribution-free interval (the same ranks as scipy's ``theilslopes``); robust to outliers.
* **Mann–Kendall**: ``S = Σ sign(y_j − y_i)`` over ordered pairs, with the tie-corrected
  variance; the normal approximation without continuity correction — the same z and p-value
  as Kendall's tau of the values against time (scipy's ``kendalltau(method="asymptotic")``).
* **Change points** by CUSUM with binary segmentation: in a segment, the cumulative sum of
  deviations from the segment mean, scaled by ``σ·√L``, behaves under "no change" like a
  Brownian bridge, so its maximum is tested against the Kolmogorov distribution at the
  level asked for; a significant maximum is a change point (its time, the means before and
  after, the size), and each side is searched again. ``σ`` is estimated from the segment's
  own first differences (median absolute deviation), so a level shift does not inflate it and
  a change of variance at the same time does not deflate it. Points are taken as
  independent: a strongly autocorrelated series gives more false alarms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri
from scipy.stats import kstwobign

FloatArray = NDArray[np.float64]
TrendDirection = Literal["increasing", "decreasing", "none"]
MAD_SCALE = 1.482602218505602  # σ / MAD for normal data
MAX_PAIRS_POINTS = 3000  # Theil–Sen and Mann–Kendall are O(n²): series are thinned beyond this


@dataclass(frozen=True)
class Trend:
    """Slope (per second of ``times``) with its interval, and the Mann–Kendall test."""

    n: int
    slope: float
    intercept: float
    slope_low: float
    slope_high: float
    s: int  # the Mann–Kendall statistic
    z: float
    p_value: float
    tau: float  # Kendall's tau-b of the values against time
    direction: TrendDirection


@dataclass(frozen=True)
class ChangePoint:
    """A shift in level at ``time`` (the first point of the new level).

    ``index`` counts the series' finite points; ``before`` and ``after`` are the mean levels
    between this change and its neighbours.
    """

    index: int
    time: float
    before: float
    after: float
    statistic: float
    p_value: float

    @property
    def size(self) -> float:
        return self.after - self.before

    @property
    def relative(self) -> float | None:
        return self.size / abs(self.before) if self.before else None


def _finite(times: FloatArray, values: FloatArray) -> tuple[FloatArray, FloatArray]:
    t = np.asarray(times, dtype="float64")
    y = np.asarray(values, dtype="float64")
    keep = np.isfinite(t) & np.isfinite(y)
    t, y = t[keep], y[keep]
    if t.size > MAX_PAIRS_POINTS:  # even thinning keeps the trend, bounds the pairs
        pick = np.linspace(0, t.size - 1, MAX_PAIRS_POINTS).round().astype("int64")
        t, y = t[pick], y[pick]
    return t, y


def _tie_sum(values: FloatArray) -> float:
    _u, counts = np.unique(values, return_counts=True)
    k = counts.astype("float64")
    return float((k * (k - 1) * (2 * k + 5)).sum())


def theil_sen(times: FloatArray, values: FloatArray, level: float = 0.95) -> tuple[float, ...]:
    """``(slope, intercept, low, high)``; the intercept is ``median(y) − slope·median(t)``."""
    t, y = _finite(times, values)
    n = t.size
    if n < 2:
        return (math.nan, math.nan, math.nan, math.nan)
    i, j = np.triu_indices(n, k=1)
    dt = t[j] - t[i]
    keep = dt != 0
    slopes = np.sort((y[j] - y[i])[keep] / dt[keep])
    if slopes.size == 0:
        return (math.nan, math.nan, math.nan, math.nan)
    slope = float(np.median(slopes))
    intercept = float(np.median(y) - slope * np.median(t))
    z = float(ndtri((1 - level) / 2))  # negative
    sigma = math.sqrt((n * (n - 1) * (2 * n + 5) - _tie_sum(t) - _tie_sum(y)) / 18.0)
    count = slopes.size
    upper = min(round((count - z * sigma) / 2.0), count - 1)
    lower = max(round((count + z * sigma) / 2.0) - 1, 0)
    return (slope, intercept, float(slopes[lower]), float(slopes[upper]))


def mann_kendall(values: FloatArray) -> tuple[int, float, float, float]:
    """``(S, z, p, tau_b)`` of the values in time order (NaN dropped)."""
    y = np.asarray(values, dtype="float64")
    y = y[np.isfinite(y)]
    if y.size > MAX_PAIRS_POINTS:
        y = y[np.linspace(0, y.size - 1, MAX_PAIRS_POINTS).round().astype("int64")]
    n = y.size
    if n < 3:
        return (0, math.nan, math.nan, math.nan)
    i, j = np.triu_indices(n, k=1)
    s = int(np.sign(y[j] - y[i]).sum())
    _u, counts = np.unique(y, return_counts=True)
    k = counts.astype("float64")
    var = (n * (n - 1) * (2 * n + 5) - float((k * (k - 1) * (2 * k + 5)).sum())) / 18.0
    pairs = n * (n - 1) / 2.0
    tied = float((k * (k - 1) / 2.0).sum())
    tau = s / math.sqrt(pairs * (pairs - tied)) if pairs > tied else math.nan
    if var <= 0:
        return (s, math.nan, math.nan, tau)
    z = s / math.sqrt(var)
    return (s, z, float(2.0 * ndtr(-abs(z))), tau)


def trend(times: FloatArray, values: FloatArray, level: float = 0.05) -> Trend | None:
    """Theil–Sen slope and Mann–Kendall direction at significance ``level``."""
    t, y = _finite(times, values)
    if t.size < 3:
        return None
    slope, intercept, low, high = theil_sen(t, y, 1 - level)
    s, z, p, tau = mann_kendall(y)
    direction: TrendDirection = "none"
    if math.isfinite(p) and p < level:
        direction = "increasing" if s > 0 else "decreasing"
    return Trend(int(t.size), slope, intercept, low, high, s, z, p, tau, direction)


def robust_sigma(values: FloatArray) -> float:
    """σ of the noise from the first differences: ``1.4826·MAD(Δy)/√2``; shifts barely move it."""
    y = np.asarray(values, dtype="float64")
    diffs = np.diff(y)
    if diffs.size == 0:
        return math.nan
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    sigma = MAD_SCALE * mad / math.sqrt(2.0)
    if sigma > 0:
        return sigma
    spread = float(np.std(diffs)) / math.sqrt(2.0)  # more than half the differences are equal
    return spread if spread > 0 else math.nan


def _best_split(y: FloatArray, sigma: float) -> tuple[int, float]:
    """The split ``k`` (first index of the right part) maximising |CUSUM|, and the statistic."""
    length = y.size
    cusum = np.cumsum(y - y.mean())[:-1]  # S_k for k = 1 .. L-1
    k = int(np.argmax(np.abs(cusum)))
    return k + 1, float(abs(cusum[k]) / (sigma * math.sqrt(length)))


def change_points(
    times: FloatArray, values: FloatArray, level: float = 0.01, min_size: int = 3
) -> tuple[ChangePoint, ...]:
    """Level shifts of the series by CUSUM binary segmentation at significance ``level``.

    ``level`` bounds the chance of reporting any change in a series without one (for
    independent points). Each side of a change must hold at least ``min_size`` points.
    """
    t = np.asarray(times, dtype="float64")
    y = np.asarray(values, dtype="float64")
    keep = np.isfinite(t) & np.isfinite(y)
    t, y = t[keep], y[keep]
    if y.size < 2 * min_size:
        return ()
    critical = float(kstwobign.isf(level))
    found: list[ChangePoint] = []
    pending = [(0, y.size)]
    while pending:
        start, end = pending.pop()
        if end - start < 2 * min_size:
            continue
        segment = y[start:end]
        sigma = robust_sigma(segment)  # each segment's own noise: the variance may change too
        if not math.isfinite(sigma):
            continue
        split, stat = _best_split(segment, sigma)
        if stat <= critical:
            continue
        split = min(max(split, min_size), segment.size - min_size)
        at = start + split
        found.append(
            ChangePoint(
                index=at,
                time=float(t[at]),
                before=float(segment[:split].mean()),
                after=float(segment[split:].mean()),
                statistic=stat,
                p_value=float(kstwobign.sf(stat)),
            )
        )
        pending += [(start, at), (at, end)]
    return _final_levels(sorted(found, key=lambda c: c.index), y)


def _final_levels(found: list[ChangePoint], y: FloatArray) -> tuple[ChangePoint, ...]:
    """The level before and after each change, between its neighbouring changes."""
    edges = [0, *(c.index for c in found), y.size]
    return tuple(
        ChangePoint(
            index=c.index,
            time=c.time,
            before=float(y[edges[k] : edges[k + 1]].mean()),
            after=float(y[edges[k + 1] : edges[k + 2]].mean()),
            statistic=c.statistic,
            p_value=c.p_value,
        )
        for k, c in enumerate(found)
    )
