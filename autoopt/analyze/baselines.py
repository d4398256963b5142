"""Baselines: what the current stretch of a service is compared with, and the comparisons.

Five kinds (the windows are chosen by :mod:`autoopt.monitor`, or by :func:`peak_windows`):

* ``initial`` — the stable version's first week (before the current stretch);
* ``rolling`` — the last N days before the current stretch;
* ``peak`` — per metric, the best window of the current stretch's length seen before it;
  chosen by looking, so its p-value overstates the evidence (the winner's curse);
* ``pre_change`` — the previous version just before the last promotion, against the new
  version since (the current stretch, or the part of it after the promotion);
* ``golden`` — a pinned reference declared in the policy: a version over a window, or values.

Each comparison gives the absolute and relative change, a two-sided p-value (two proportions
for the error rate, Mann–Whitney for latency, Welch for means; one-sample tests against pinned
values) and whether it is significant at the policy's level after the correction over the
baseline's metrics (Holm by default; latency quantiles share one test and count once).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from autoopt.analyze.series import FloatArray, Sample, Series
from autoopt.analyze.significance import (
    Correction,
    Moments,
    TestResult,
    adjust,
    mann_whitney,
    one_proportion,
    one_sample_t,
    two_proportions,
    welch,
)
from autoopt.values import METRICS

BaselineKind = Literal["initial", "rolling", "peak", "pre_change", "golden"]
KINDS: tuple[BaselineKind, ...] = ("initial", "rolling", "peak", "pre_change", "golden")
QUANTILES = {"latency_p50_ms": 0.5, "latency_p95_ms": 0.95, "latency_p99_ms": 0.99}
MEANS = ("cost_per_request", "quality", "tokens_in_mean", "tokens_out_mean")
COMPARED = ("error_rate", *QUANTILES, *MEANS)
#: metrics not in values.METRICS, and which way they get better
_EXTRA_DIRECTIONS = {"tokens_in_mean": "lower"}


@dataclass(frozen=True)
class Pinned:
    """Exact reference values (a golden baseline declared as numbers)."""

    label: str
    values: Mapping[str, float]


@dataclass(frozen=True)
class Comparison:
    baseline: BaselineKind
    metric: str
    test: str
    current: float
    reference: float
    n_current: int
    n_reference: int
    p_value: float
    adjusted: float = math.nan
    significant: bool = False
    start: float | None = None  # the reference's window, when it is measured
    end: float | None = None

    @property
    def change(self) -> float:
        return self.current - self.reference

    @property
    def relative(self) -> float | None:
        if not self.reference or not math.isfinite(self.reference):
            return None
        return self.change / abs(self.reference)

    @property
    def direction(self) -> Literal["worse", "better", "same"]:
        """Which way the current value moved, by the metric's own sense of better."""
        if not self.change or not math.isfinite(self.change):
            return "same"
        lower = METRICS.get(self.metric, (_EXTRA_DIRECTIONS.get(self.metric, "lower"), ""))[0]
        return "worse" if (self.change > 0) == (lower == "lower") else "better"


@dataclass(frozen=True)
class Baseline:
    kind: BaselineKind
    label: str
    comparisons: tuple[Comparison, ...] = ()
    unavailable: str | None = None  # why there is nothing to compare with

    @property
    def regressions(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.significant and c.direction == "worse")


def quantile(values: FloatArray, p: float) -> float:
    """The sample quantile as the inverted empirical CDF (the summaries' definition)."""
    if values.size == 0:
        return math.nan
    return float(np.quantile(values, p, method="inverted_cdf"))


def _value(sample: Sample, metric: str) -> tuple[float, int]:
    if metric == "error_rate":
        return sample.error_rate, sample.n
    if metric in QUANTILES:
        return quantile(sample.latencies_ms, QUANTILES[metric]), int(sample.latencies_ms.size)
    moments = sample.means.get(metric)
    return (moments.mean, moments.n) if moments is not None else (math.nan, 0)


def _test(current: Sample, reference: Sample, metric: str) -> TestResult:
    if metric == "error_rate":
        return two_proportions(current.errors, current.n, reference.errors, reference.n)
    if metric in QUANTILES:
        return mann_whitney(current.latencies_ms, reference.latencies_ms)
    empty = Moments(0, math.nan, math.nan)
    return welch(current.means.get(metric, empty), reference.means.get(metric, empty))


def _test_pinned(current: Sample, metric: str, value: float) -> TestResult:
    if metric == "error_rate":
        return one_proportion(current.errors, current.n, value)
    if metric in QUANTILES:
        p = QUANTILES[metric]
        slower = int(np.count_nonzero(current.latencies_ms > value))
        result = one_proportion(slower, int(current.latencies_ms.size), 1.0 - p)
        return replace(result, test="quantile_share")
    return one_sample_t(current.means.get(metric, Moments(0, math.nan, math.nan)), value)


def compare(
    kind: BaselineKind,
    current: Sample,
    reference: Sample | Pinned,
    *,
    metrics: Iterable[str] = COMPARED,
) -> list[Comparison]:
    """The uncorrected comparison of ``current`` with ``reference`` on each metric measured
    on both sides (every metric the pinned values name)."""
    out = []
    for metric in metrics:
        now, n_now = _value(current, metric)
        if isinstance(reference, Pinned):
            if metric not in reference.values or n_now == 0:
                continue
            ref, n_ref = reference.values[metric], 0
            result = _test_pinned(current, metric, ref)
            start = end = None
        else:
            ref, n_ref = _value(reference, metric)
            if n_now == 0 or n_ref == 0:
                continue
            result = _test(current, reference, metric)
            start, end = reference.start, reference.end
        out.append(
            Comparison(
                kind,
                metric,
                result.test,
                now,
                ref,
                n_now,
                n_ref,
                result.p_value,
                start=start,
                end=end,
            )
        )
    return out


def _family_key(comparison: Comparison) -> tuple[object, ...]:
    """Latency quantiles of one window share their Mann–Whitney test: one member."""
    if comparison.test == "mann_whitney":
        return ("mann_whitney", comparison.start, comparison.end)
    return (comparison.metric,)


def corrected(
    kind: BaselineKind,
    label: str,
    comparisons: list[Comparison],
    *,
    level: float,
    correction: Correction,
) -> Baseline:
    """The baseline with its comparisons corrected as one family."""
    if not comparisons:
        return Baseline(kind, label, (), "nothing measured on both sides")
    first: dict[tuple[object, ...], float] = {}
    for comparison in comparisons:
        first.setdefault(_family_key(comparison), comparison.p_value)
    values = adjust(np.array(list(first.values()), dtype="float64"), correction)
    adjusted = dict(zip(first, values.tolist(), strict=True))
    done = tuple(
        replace(c, adjusted=adjusted[_family_key(c)], significant=adjusted[_family_key(c)] < level)
        for c in comparisons
    )
    return Baseline(kind, label, done)


def peak_windows(
    series: Mapping[str, Series], length: float, before: float, min_sample: int = 1
) -> dict[str, tuple[float, float]]:
    """Per metric, the ``[start, end)`` of ``length`` before ``before`` where it was best.

    Windows are whole buckets; a bucket counts when it has ``min_sample`` requests, and a
    window needs at least half of its buckets counted. The level of a window is the
    request-weighted mean of its buckets' values.
    """
    out: dict[str, tuple[float, float]] = {}
    for metric, one in series.items():
        keep = one.times + one.step <= before
        times, values, n = one.times[keep], one.values[keep], one.n[keep]
        width = max(1, round(length / one.step))
        if times.size < width:
            continue
        ok = np.isfinite(values) & (n >= min_sample)
        weights = np.where(ok, n, 0).astype("float64")
        kernel = np.ones(width)
        total = np.convolve(np.where(ok, values, 0.0) * weights, kernel, mode="valid")
        mass = np.convolve(weights, kernel, mode="valid")
        counted = np.convolve(ok.astype("float64"), kernel, mode="valid")
        with np.errstate(invalid="ignore", divide="ignore"):
            level = np.where(counted >= width / 2, total / mass, np.nan)
        if not np.isfinite(level).any():
            continue
        lower = METRICS.get(metric, (_EXTRA_DIRECTIONS.get(metric, "lower"), ""))[0] == "lower"
        best = int(np.nanargmin(level) if lower else np.nanargmax(level))
        out[metric] = (float(times[best]), float(times[best] + width * one.step))
    return out
