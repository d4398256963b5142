"""Per-metric regression estimates of canary against stable, stratified by rollout stage.

Each metric has a *regression scale* on which the judge tests: positive is worse, and the
trigger is a fixed margin ``Δ`` on it.

========== ================================ =============================== ==================
metric     regression δ                     variance of δ̂ per stratum      trigger margin Δ
========== ================================ =============================== ==================
error_rate ``p_c − p_s`` (absolute)         Agresti–Caffo (+1 error, +2 n)  ``trigger``
latency    ``log(q95_c / q95_s)``           order-statistic interval        ``log(1 + trigger)``
quality    ``log(mean_s / mean_c)``         delta method                    ``−log(1 − trigger)``
cost       ``log(mean_c / mean_s)``         delta method                    ``log(1 + trigger)``
========== ================================ =============================== ==================

Every stage is one stratum (stable and canary over the same time, so a trend in time affects
both arms alike); the strata are combined with inverse-variance weights. The combined
information ``I = Σ 1/v_k`` is what the sequential boundaries are drawn against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from autoopt.values import ArmSample, StageObservation

P95 = 0.95
_Z = 1.959963984540054
#: The metrics the judge compares, with the reason code used when one regresses.
CODES: dict[str, str] = {
    "error_rate": "error_rate_increase",
    "latency_p95": "latency_p95_increase",
    "quality": "quality_decrease",
    "cost": "cost_increase",
}

Pair = tuple[ArmSample, ArmSample]  # (stable, canary)


@dataclass(frozen=True)
class Effect:
    """The combined estimate of one metric's regression and what it is made of."""

    metric: str
    estimate: float  # δ̂ on the regression scale (positive = canary worse)
    information: float  # 1 / Var(δ̂)
    stable: float  # the metric itself for each arm, pooled over the strata (for reasons)
    canary: float
    unit_variance: float  # variance of δ̂ times the stable arm's n: for the minimum sample


def margin(metric: str, trigger: float) -> float:
    """The trigger as a margin on the regression scale."""
    if metric == "error_rate":
        return trigger
    if metric == "quality":
        return -math.log1p(-trigger)
    return math.log1p(trigger)


def to_change(metric: str, delta: float) -> float:
    """A regression-scale value as the change users read (``+0.2`` = 20% up, or +20 points)."""
    if metric == "error_rate" or not math.isfinite(delta):
        return delta
    if metric == "quality":
        return -math.expm1(-delta)  # a decrease, positive when worse
    return math.expm1(delta)


def merge(arms: Sequence[ArmSample]) -> ArmSample:
    """Add up the sufficient statistics of several intervals of one arm."""
    if len(arms) == 1:
        return arms[0]
    return ArmSample(
        n=sum(a.n for a in arms),
        errors=sum(a.errors for a in arms),
        latencies_ms=np.concatenate([np.asarray(a.latencies_ms, dtype=float) for a in arms]),
        quality_n=sum(a.quality_n for a in arms),
        quality_sum=sum(a.quality_sum for a in arms),
        quality_sumsq=sum(a.quality_sumsq for a in arms),
        cost_n=sum(a.cost_n for a in arms),
        cost_sum=sum(a.cost_sum for a in arms),
        cost_sumsq=sum(a.cost_sumsq for a in arms),
    )


def strata(observation: StageObservation) -> list[Pair]:
    """One (stable, canary) pair per stage, intervals of a stage merged, stages in order."""
    stages = sorted({i.stage for i in observation.intervals})
    pairs = []
    for stage in stages:
        inside = [i for i in observation.intervals if i.stage == stage]
        pairs.append((merge([i.stable for i in inside]), merge([i.canary for i in inside])))
    return pairs


def _combine(metric: str, parts: list[tuple[float, float]], pooled: Pair, unit: float) -> Effect:
    weights = [1.0 / v for _, v in parts]
    information = sum(weights)
    estimate = sum(w * d for w, (d, _) in zip(weights, parts, strict=True)) / information
    stable, canary = (_display(metric, arm) for arm in pooled)
    return Effect(metric, estimate, information, stable, canary, unit)


def _display(metric: str, arm: ArmSample) -> float:
    if metric == "error_rate":
        return arm.errors / arm.n if arm.n else math.nan
    if metric == "latency_p95":
        lat = np.sort(np.asarray(arm.latencies_ms, dtype=float))
        return _at(lat, (lat.size - 1) * P95) if lat.size else math.nan
    n, total = (
        (arm.quality_n, arm.quality_sum) if metric == "quality" else (arm.cost_n, arm.cost_sum)
    )
    return total / n if n else math.nan


def _error_part(stable: ArmSample, canary: ArmSample) -> tuple[float, float] | None:
    if stable.n == 0 or canary.n == 0:
        return None
    ps = (stable.errors + 1) / (stable.n + 2)
    pc = (canary.errors + 1) / (canary.n + 2)
    var = ps * (1 - ps) / (stable.n + 2) + pc * (1 - pc) / (canary.n + 2)
    return pc - ps, var


def _at(x: np.ndarray, position: float) -> float:
    """The value at a fractional 0-based position of a sorted array (linear in between)."""
    below = min(int(position), x.size - 1)
    above = min(below + 1, x.size - 1)
    return float(x[below] + (x[above] - x[below]) * (position - below))


def _log_quantile(latencies: np.ndarray) -> tuple[float, float] | None:
    """log of the 95th percentile and its variance from a distribution-free interval.

    The interval is that of the order statistics at ranks ``n·p ± z·√(n·p·(1−p))`` (the
    binomial interval for the rank of the true quantile), interpolated between ranks; its
    half-width on the log scale divided by ``z`` is the standard error of ``log q̂``.
    """
    n = latencies.size
    if n < 20:
        return None
    spread = _Z * math.sqrt(n * P95 * (1 - P95))
    low, high = n * P95 - spread, n * P95 + spread  # 1-based ranks of a 95% interval
    if low < 1 or high > n:
        return None
    x = np.maximum(np.sort(latencies), 1e-3)
    q = _at(x, (n - 1) * P95)  # numpy's default ("linear") quantile
    se = (math.log(_at(x, high - 1)) - math.log(_at(x, low - 1))) / (2 * _Z)
    return math.log(q), max(se, 1e-6) ** 2


def _latency_part(stable: ArmSample, canary: ArmSample) -> tuple[float, float] | None:
    s = _log_quantile(np.asarray(stable.latencies_ms, dtype=float))
    c = _log_quantile(np.asarray(canary.latencies_ms, dtype=float))
    if s is None or c is None:
        return None
    return c[0] - s[0], c[1] + s[1]


def _log_mean(n: int, total: float, sumsq: float) -> tuple[float, float] | None:
    if n < 2 or total <= 0:
        return None
    mean = total / n
    var = max(sumsq - n * mean * mean, 0.0) / (n - 1)
    return math.log(mean), max(var / (n * mean * mean), 1e-12)


def _mean_part(metric: str, stable: ArmSample, canary: ArmSample) -> tuple[float, float] | None:
    if metric == "quality":
        s = _log_mean(stable.quality_n, stable.quality_sum, stable.quality_sumsq)
        c = _log_mean(canary.quality_n, canary.quality_sum, canary.quality_sumsq)
    else:
        s = _log_mean(stable.cost_n, stable.cost_sum, stable.cost_sumsq)
        c = _log_mean(canary.cost_n, canary.cost_sum, canary.cost_sumsq)
    if s is None or c is None:
        return None
    sign = -1.0 if metric == "quality" else 1.0
    return sign * (c[0] - s[0]), c[1] + s[1]


def _stable_n(metric: str, arm: ArmSample) -> int:
    if metric == "quality":
        return arm.quality_n
    if metric == "cost":
        return arm.cost_n
    if metric == "latency_p95":
        return int(np.asarray(arm.latencies_ms).size)
    return arm.n


def _unit_variance(metric: str, pooled_stable: ArmSample, trigger: float) -> float:
    """Per-request variance of the metric on its regression scale, from the stable arm."""
    if metric == "error_rate":
        p = (pooled_stable.errors + 1) / (pooled_stable.n + 2)
        p = min(0.5, p + trigger / 2)
        return p * (1 - p)
    if metric == "latency_p95":
        found = _log_quantile(np.asarray(pooled_stable.latencies_ms, dtype=float))
    else:
        n, total, sumsq = (
            (pooled_stable.quality_n, pooled_stable.quality_sum, pooled_stable.quality_sumsq)
            if metric == "quality"
            else (pooled_stable.cost_n, pooled_stable.cost_sum, pooled_stable.cost_sumsq)
        )
        found = _log_mean(n, total, sumsq)
    if found is None:
        return math.nan
    return found[1] * _stable_n(metric, pooled_stable)


_PARTS: dict[str, Callable[[ArmSample, ArmSample], tuple[float, float] | None]] = {
    "error_rate": _error_part,
    "latency_p95": _latency_part,
    "quality": lambda s, c: _mean_part("quality", s, c),
    "cost": lambda s, c: _mean_part("cost", s, c),
}


def pool(pairs: Sequence[Pair]) -> Pair:
    """Both arms over all strata together (for reporting and the per-request variance)."""
    return merge([s for s, _ in pairs]), merge([c for _, c in pairs])


def effect(
    metric: str, pairs: Sequence[Pair], trigger: float, pooled: Pair | None = None
) -> Effect | None:
    """The stratified regression estimate of ``metric``; None when no stratum can measure it.

    ``pooled`` is :func:`pool` of ``pairs``, when the caller has it already.
    """
    parts = [p for p in (_PARTS[metric](s, c) for s, c in pairs) if p is not None]
    if not parts:
        return None
    both = pooled if pooled is not None else pool(pairs)
    return _combine(metric, parts, both, _unit_variance(metric, both[0], trigger))
