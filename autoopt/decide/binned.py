"""Latency statistics on bucket counts: what the judge reads from rows and from histograms alike.

The judge never needs per-request latencies: every test it runs on latency is a function of
bucket counts. Per-request latencies are binned on :data:`FINE_BOUNDS` (buckets 1% wide, so the
binning moves no quantile by more than half a percent); a PromQL backend's histogram arrives
with its own ``le`` bounds. Both go through the same code, and the bucket bounds are the
resolution limit of what can be told apart.

All functions take counts with the buckets on the last axis and broadcast over leading axes,
so the tests can run ten thousand datasets in one call.

* :func:`quantile` — the quantile by linear interpolation inside its bucket (the rule of
  PromQL's ``histogram_quantile``: the first bucket starts at 0, a quantile in the ``+Inf``
  bucket is not measurable);
* :func:`log_quantile` — ``log q̂_p`` and its variance from the distribution-free interval of
  the order statistics at ranks ``n·p ± z·√(n·p·(1−p))``, read through the same interpolation;
* :func:`auc` — the Mann–Whitney statistic as ``P(canary > stable) + ½·P(tie)`` with its exact
  variance under "same distribution" including the tie correction (ties are what bucketing
  makes);
* :func:`log_spread` — a robust σ of log latency, ``(log q75 − log q25) / 1.349``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from autoopt.values import LatencyHistogram

Counts = NDArray[np.int64]
Floats = NDArray[np.float64]

_Z = 1.959963984540054
#: Upper bounds (ms) for binning per-request latencies: 0.1 ms to ~3 h in steps of 1%, + ∞.
FINE_BOUNDS: tuple[float, ...] = (
    *(float(b) for b in 0.1 * 1.01 ** np.arange(int(math.log(1e8) / math.log(1.01)) + 1)),
    math.inf,
)
_FINE = np.asarray(FINE_BOUNDS)


def histogram(latencies_ms: Floats, bounds_ms: Sequence[float] = FINE_BOUNDS) -> Counts:
    """Bucket counts of ``latencies_ms`` on ``bounds_ms`` (right-closed, like ``le``).

    Values above the last bound go to the last bucket; pass ``inf`` last to keep them apart.
    """
    bounds = _FINE if bounds_ms is FINE_BOUNDS else np.asarray(bounds_ms, dtype=float)
    index = np.searchsorted(bounds, np.asarray(latencies_ms, dtype=float), side="left")
    np.minimum(index, bounds.size - 1, out=index)
    return np.bincount(index, minlength=bounds.size).astype(np.int64)


def common_bounds(bounds: Sequence[tuple[float, ...]]) -> tuple[float, ...]:
    """The bounds every histogram has (with ``inf`` last): the finest grid all can be put on."""
    if not bounds:
        return FINE_BOUNDS
    shared = set(bounds[0]).intersection(*bounds[1:]) | {math.inf}
    return tuple(sorted(shared))


def coarsen(hist: LatencyHistogram, bounds_ms: tuple[float, ...]) -> Counts:
    """The counts of ``hist`` on ``bounds_ms`` (a subset of its bounds, plus ``inf``)."""
    if hist.bounds_ms == bounds_ms:
        return np.asarray(hist.counts, dtype=np.int64)
    own = np.asarray(hist.bounds_ms, dtype=float)
    cumulative = np.cumsum(np.asarray(hist.counts, dtype=np.int64))
    positions = np.searchsorted(own, np.asarray(bounds_ms[:-1]), side="left")
    below = np.concatenate([cumulative[positions], [int(cumulative[-1])]])
    return np.diff(below, prepend=0).astype(np.int64)


@lru_cache(maxsize=64)
def _edges(bounds_ms: tuple[float, ...]) -> tuple[Floats, Floats]:
    upper = np.asarray(bounds_ms, dtype=float)
    lower = np.concatenate([[0.0], upper[:-1]])
    return lower, upper


def _bucket(counts: Floats, rank: Floats) -> tuple[NDArray[np.intp], Floats, Floats, Floats]:
    """For each rank: its bucket (clipped), the count below that bucket, the bucket's count,
    and whether the rank lies inside the data."""
    cumulative = np.cumsum(counts, axis=-1)
    if counts.ndim == 1:
        index = np.searchsorted(cumulative, rank, side="left")
        safe = np.minimum(index, counts.size - 1)
        below = np.where(safe > 0, cumulative[np.maximum(safe - 1, 0)], 0.0)
        here = counts[safe]
    else:
        rank = np.broadcast_to(rank, cumulative.shape[:-1])
        index = (cumulative < rank[..., None]).sum(axis=-1)
        safe = np.minimum(index, counts.shape[-1] - 1)
        padded = np.concatenate([np.zeros((*cumulative.shape[:-1], 1)), cumulative], axis=-1)
        below = np.take_along_axis(padded, np.expand_dims(safe, -1), axis=-1)[..., 0]
        here = np.take_along_axis(counts, np.expand_dims(safe, -1), axis=-1)[..., 0]
    return safe, below, here, np.asarray(index < counts.shape[-1])


def quantile(bounds_ms: Sequence[float], counts: Counts, rank: Floats | float) -> Floats:
    """The value at (1-based, fractional) ``rank`` by interpolation inside its bucket.

    ``rank`` broadcasts against the leading axes of ``counts`` (for one histogram it may hold
    several ranks). A rank in the ``+Inf`` bucket (or beyond the data) gives ``inf``; a rank
    ≤ 0 gives the lower edge of the first bucket.
    """
    lower, upper = _edges(tuple(bounds_ms))
    r = np.asarray(rank, dtype=float)
    safe, below, here, inside = _bucket(np.asarray(counts, dtype=float), r)
    share = np.where(here > 0, (r - below) / np.where(here > 0, here, 1.0), 0.0)
    finite = inside & np.isfinite(upper[safe])
    width = np.where(finite, upper[safe] - lower[safe], 0.0)
    value = lower[safe] + width * np.clip(share, 0.0, 1.0)
    return np.where(finite, value, math.inf)


def log_quantile(
    bounds_ms: Sequence[float], counts: Counts, p: float = 0.95
) -> tuple[Floats, Floats]:
    """``log q̂_p`` (interpolated, :func:`quantile`) and its variance; NaN where not measurable.

    Two regimes, by where the distribution-free 95% interval of the quantile's rank,
    ``n·p ± z·√(n·p·(1−p))``, falls:

    * across several buckets (fine buckets): the order-statistic interval read through the
      interpolation — its half-width on the log scale over ``z``, squared (``p(1−p)/(n·f²)``);
    * inside one bucket (coarse buckets): the delta method for the interpolation between that
      bucket's edges from the empirical CDF there (multinomial covariances) — the variance of
      the interpolated estimate itself, much smaller than the order-statistic interval's.

    Not measurable: fewer than 20 values, ranks outside the data, or the interval reaching the
    ``+Inf`` bucket (the bounds are then too coarse to say where the quantile is).
    """
    lower, upper = _edges(tuple(bounds_ms))
    counts_f = np.asarray(counts, dtype=float)
    n = counts_f.sum(axis=-1)
    spread = _Z * np.sqrt(n * p * (1 - p))
    low, high = n * p - spread, n * p + spread
    ranks = np.stack(np.broadcast_arrays(n * p, low, high), axis=-1)
    if counts_f.ndim == 1:
        q, q_low, q_high = quantile(bounds_ms, counts, ranks)
    else:
        q, q_low, q_high = (quantile(bounds_ms, counts, ranks[..., k]) for k in range(3))
    i_low, below, here, _ = _bucket(counts_f, low)
    i_high, _, _, inside = _bucket(counts_f, high)
    floor = 1e-3
    ok = (n >= 20) & (low >= 1) & (high <= n) & inside & np.isfinite(q_high)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(np.maximum(q, floor))
        se = (np.log(np.maximum(q_high, floor)) - np.log(np.maximum(q_low, floor))) / (2 * _Z)
        wide = np.maximum(se, 1e-6) ** 2
        f_l, f_u = below / n, (below + here) / n
        width, mass, ahead = upper[i_low] - lower[i_low], f_u - f_l, p - f_l
        g_l, g_u = -width * (mass - ahead) / mass**2, -width * ahead / mass**2
        var_q = (
            g_l**2 * f_l * (1 - f_l) + g_u**2 * f_u * (1 - f_u) + 2 * g_l * g_u * f_l * (1 - f_u)
        )
        narrow = np.maximum(var_q / n / np.maximum(q, floor) ** 2, 1e-12)
    var = np.where(i_low == i_high, narrow, wide)
    ok &= np.isfinite(var)
    return np.where(ok, log_q, math.nan), np.where(ok, var, math.nan)


def auc(stable: Counts, canary: Counts) -> tuple[Floats, Floats]:
    """``P(canary > stable) + ½·P(tie)`` over request pairs, and its variance if both arms
    come from one distribution (Mann–Whitney's, with the tie correction); NaN for an empty arm.
    """
    s = np.asarray(stable, dtype=float)
    c = np.asarray(canary, dtype=float)
    ns, nc = s.sum(axis=-1), c.sum(axis=-1)
    below = np.cumsum(s, axis=-1) - s
    u = (c * (below + 0.5 * s)).sum(axis=-1)
    total = ns + nc
    ties = s + c
    tie_term = (ties**3 - ties).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_u = ns * nc / 12.0 * ((total + 1) - tie_term / (total * (total - 1)))
        pairs = ns * nc
        value = u / pairs
        var = var_u / (pairs * pairs)
    ok = (ns >= 1) & (nc >= 1) & (total >= 2)
    return np.where(ok, value, math.nan), np.where(ok, np.maximum(var, 1e-12), math.nan)


def log_spread(bounds_ms: Sequence[float], counts: Counts) -> Floats:
    """A robust σ of log latency: ``(log q75 − log q25) / 1.349`` (NaN when not measurable)."""
    counts = np.asarray(counts, dtype=np.int64)
    n = counts.sum(axis=-1).astype(float)
    if counts.ndim == 1:
        q25, q75 = quantile(bounds_ms, counts, np.array([0.25 * n, 0.75 * n]))
    else:
        q25 = quantile(bounds_ms, counts, 0.25 * n)
        q75 = quantile(bounds_ms, counts, 0.75 * n)
    ok = (n >= 8) & np.isfinite(q75) & (q25 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = (np.log(np.where(ok, q75, 1.0)) - np.log(np.where(ok, q25, 1.0))) / 1.349
    return np.where(ok & (spread > 0), spread, math.nan)
