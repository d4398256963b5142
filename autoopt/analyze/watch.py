"""The post-promotion watch: the new stable since its promotion against its pre-change
baseline (the previous version just before the promotion), at every look.

The baseline is fixed at the promotion (a window of fixed length before it), so only the
after side grows. Per metric with a trigger, the regression ``δ`` (in the trigger's terms) is
tested one-sided, ``H0: δ ≤ 0``, with the error split in two halves:

* the **baseline's own error**: its estimate is at most ``u`` off (one-sided, ``α_m/2``);
* the **after side**, for every look at once: a normal-mixture confidence sequence (Robbins),
  ``S_n/σ ≤ √((n+ρ)(ln((n+ρ)/ρ) + 2 ln(2/α_m)))``, holds for all ``n`` simultaneously with
  probability ``1 − α_m/2`` (Ville's inequality), however often and whenever one looks.

So a healthy version is rolled back with probability at most ``α`` over the whole watch window
(``α_m = α/m`` for ``m`` triggers), whatever the cycle's schedule. A rollback also needs the
point estimate of the regression to be at least half the trigger (the midpoint between
"healthy" and "a regression of the trigger size"), so a tiny regression seen with a huge
sample is not rolled back. Metrics:

* ``error_rate``: the after side's error fraction minus the baseline's (absolute);
* ``latency_p95``: the share of requests slower than the baseline's p95 (5% when nothing
  changed; its baseline error is the exact Beta law of the mass above an order statistic),
  rolled back when that share is significantly above 5% and p95 is up by half the trigger;
* ``quality`` (relative decrease) and ``cost`` (relative increase): the means.

Every function takes numpy arrays (one entry per trial or per service) as well as numbers,
so the false-rollback rate is measured over thousands of seeded trials in one call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri
from scipy.stats import beta

from autoopt.values import Reason

FloatArray = NDArray[np.float64]
P95 = 0.95
CODES = {
    "error_rate": "error_rate_increase",
    "latency_p95": "latency_p95_increase",
    "quality": "quality_decrease",
    "cost": "cost_increase",
}
LABELS = {
    "error_rate": "error rate",
    "latency_p95": "latency p95",
    "quality": "quality",
    "cost": "cost per request",
}


@dataclass(frozen=True, eq=False)
class Side:
    """Sufficient statistics of one side (arrays, one entry per trial, or scalars).

    ``slow`` counts requests slower than the *baseline's* p95 (on the after side; the
    baseline's own count is by definition about 5%). Means as count, mean and variance.
    """

    n: Any
    errors: Any
    p95: Any = math.nan
    slow: Any = 0
    quality: tuple[Any, Any, Any] = (0, math.nan, math.nan)
    cost: tuple[Any, Any, Any] = (0, math.nan, math.nan)


@dataclass(frozen=True)
class WatchSettings:
    alpha: float  # the false-rollback rate over the whole watch window
    triggers: Mapping[str, float]  # metric → trigger (error_rate absolute, others relative)
    min_sample: int = 100  # each side needs this many requests before anything rolls back
    rho: float = 500.0  # the mixture's scale: the boundary is tightest near a few ρ requests


def mixture_boundary(n: Any, rho: float, alpha: float) -> FloatArray:
    """``b(n)`` with ``P(∃n: S_n/σ ≥ b(n)) ≤ alpha`` for a mean-zero (sub-)Gaussian walk."""
    size = np.asarray(n, dtype="float64")
    return np.sqrt((size + rho) * (np.log((size + rho) / rho) + 2.0 * math.log(1.0 / alpha)))


@dataclass(frozen=True, eq=False)
class Check:
    """One metric at one look: the regression estimate, the margin it must exceed, the verdict."""

    metric: str
    estimate: FloatArray  # δ̂ in the trigger's terms
    margin: FloatArray  # the boundary on δ̂ (statistical)
    trigger: float
    rollback: NDArray[np.bool_]


def _split(settings: WatchSettings) -> float:
    """The error per metric and per half (baseline, after side)."""
    return settings.alpha / max(len(settings.triggers), 1) / 2.0


def _error_rate(before: Side, after: Side, a: float, rho: float) -> tuple[FloatArray, FloatArray]:
    nb, na = np.asarray(before.n, "float64"), np.asarray(after.n, "float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        pb = np.asarray(before.errors, "float64") / nb
        pa = np.asarray(after.errors, "float64") / na
        p0 = np.maximum(pb, 0.5 / np.maximum(nb, 1.0))  # never a zero-width baseline
        sd = np.sqrt(p0 * (1 - p0))
        u = -ndtri(a) * sd / np.sqrt(nb)
        margin = u + sd * mixture_boundary(na, rho, a) / na
    return pa - pb, margin


def _latency(
    before: Side, after: Side, a: float, rho: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(relative p95 change, excess share slower than the baseline p95, its margin)."""
    nb, na = np.asarray(before.n, "float64"), np.asarray(after.n, "float64")
    k = np.maximum(np.ceil(nb * P95), 1.0)  # the baseline p95 is the order statistic x_(k)
    upper = beta.ppf(1.0 - a, np.maximum(nb - k + 1.0, 1.0), k)  # mass above x_(k), one-sided
    p0 = 1.0 - P95
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.asarray(after.slow, "float64") / na
        margin = (upper - p0) + math.sqrt(p0 * (1 - p0)) * mixture_boundary(na, rho, a) / na
        ratio = np.asarray(after.p95, "float64") / np.asarray(before.p95, "float64") - 1.0
    return ratio, share - p0, margin


def _mean(
    before: tuple[Any, Any, Any], after: tuple[Any, Any, Any], a: float, rho: float, sign: float
) -> tuple[FloatArray, FloatArray]:
    """Relative change of a mean (``sign`` +1: an increase is worse) and its margin."""
    nb, mb, vb = (np.asarray(x, "float64") for x in before)
    na, ma, va = (np.asarray(x, "float64") for x in after)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = -ndtri(a) * np.sqrt(vb / nb)
        margin = (u + np.sqrt(va) * mixture_boundary(na, rho, a) / na) / np.abs(mb)
        estimate = sign * (ma - mb) / np.abs(mb)
    return estimate, margin


def checks(before: Side, after: Side, settings: WatchSettings) -> list[Check]:
    """Every configured metric's check at this look (arrays broadcast over trials)."""
    a, rho = _split(settings), settings.rho
    enough = (np.asarray(before.n) >= settings.min_sample) & (
        np.asarray(after.n) >= settings.min_sample
    )
    out = []
    for metric, trigger in settings.triggers.items():
        if metric == "error_rate":
            estimate, margin = _error_rate(before, after, a, rho)
            statistical = estimate > margin
        elif metric == "latency_p95":
            estimate, excess, margin = _latency(before, after, a, rho)
            statistical = excess > margin
        else:
            sign = -1.0 if metric == "quality" else 1.0
            sides = (
                (before.quality, after.quality)
                if metric == "quality"
                else (before.cost, after.cost)
            )
            estimate, margin = _mean(sides[0], sides[1], a, rho, sign)
            statistical = estimate > margin
        practical = estimate >= trigger / 2.0
        rollback = np.asarray(enough & statistical & practical & np.isfinite(estimate))
        out.append(Check(metric, np.asarray(estimate), np.asarray(margin), trigger, rollback))
    return out


def rolls_back(before: Side, after: Side, settings: WatchSettings) -> NDArray[np.bool_]:
    """Per trial (or the one service): does this look roll the promotion back?"""
    found = checks(before, after, settings)
    out = np.zeros(np.shape(before.n), dtype=bool)
    for check in found:
        out = out | np.broadcast_to(check.rollback, out.shape)
    return out


def reasons(found: list[Check], before: Side, after: Side) -> tuple[Reason, ...]:
    """The reasons of one service's look (scalars), as the verdict and commit trailers carry."""
    out = []
    for check in found:
        estimate, margin = float(check.estimate), float(check.margin)
        label = LABELS[check.metric]
        unit = "points" if check.metric == "error_rate" else "relative"
        values: dict[str, float | int | str] = {
            "metric": check.metric,
            "change": round(estimate, 6) if math.isfinite(estimate) else "nan",
            "margin": round(margin, 6) if math.isfinite(margin) else "nan",
            "trigger": check.trigger,
            "n_before": int(before.n),
            "n_after": int(after.n),
        }
        if bool(check.rollback):
            words = (
                f"{label} regressed by {_fmt(estimate, unit)} since the promotion (at least half "
                f"the trigger {_fmt(check.trigger, unit)}, and beyond the watch boundary "
                f"{_fmt(margin, unit)})"
            )
            out.append(Reason(CODES[check.metric], words, MappingProxyType(values)))
        else:
            words = f"{label}: {_fmt(estimate, unit)} since the promotion (rollback needs more)"
            out.append(Reason("watch_ok", words, MappingProxyType(values)))
    return tuple(out)


def _fmt(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value * 100:+.2f} pts" if unit == "points" else f"{value:+.1%}"
