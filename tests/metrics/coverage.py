"""Coverage of the summaries' intervals against known truth, shared by the suite and the bench.

Each function simulates ``datasets`` samples of size ``n`` from a distribution whose true
value is known, builds the interval exactly as a summary does, and returns the fraction of
intervals that hold the truth among those marked ``enough`` (and the fraction marked). The
suite runs a few cells (tests/metrics/test_coverage.py); ``tests/benchmarks/bench_coverage.py``
runs the whole grid that docs/metrics.md quotes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from autoopt.metrics.stats import (
    mean_estimate,
    product_estimate,
    proportion_estimate,
    quantile_estimate,
)
from autoopt.metrics.summary import daily_rate
from autoopt.probability import binom_pmf


@dataclass(frozen=True)
class Cell:
    coverage: float  # among the intervals marked enough; nan when none is
    marked: float  # fraction marked "not enough data"
    datasets: int


def _cell(hits: list[bool], enough: list[bool]) -> Cell:
    held = [h for h, e in zip(hits, enough, strict=True) if e]
    coverage = sum(held) / len(held) if held else math.nan
    return Cell(coverage, 1 - len(held) / len(hits), len(hits))


def proportion_exact(p: float, n: int) -> float:
    """The exact coverage of the error-rate interval: the binomial mass of every count whose
    interval holds ``p`` (no sampling noise; the simulation limit of infinitely many sets)."""
    k0, pmf = binom_pmf(n, p)
    total = 0.0
    for i, mass in enumerate(pmf):
        est = proportion_estimate(k0 + i, n)
        if est.low <= p <= est.high:
            total += float(mass)
    return total


def proportion_simulated(p: float, n: int, datasets: int, seed: int) -> Cell:
    counts = np.random.default_rng(seed).binomial(n, p, datasets)
    once = {int(k): proportion_estimate(int(k), n) for k in np.unique(counts)}
    found = [once[int(k)] for k in counts]
    return _cell([e.low <= p <= e.high for e in found], [e.enough for e in found])


#: Cost-like distributions with mean 1: (name, sampler(rng, shape)).
def lognormal(cv: float):  # type: ignore[no-untyped-def]
    sigma = math.sqrt(math.log(1 + cv * cv))
    return lambda rng, shape: rng.lognormal(-sigma * sigma / 2, sigma, shape)


def gamma(cv: float):  # type: ignore[no-untyped-def]
    return lambda rng, shape: rng.gamma(1 / cv**2, cv**2, shape)


def mean_cell(sampler, n: int, datasets: int, seed: int) -> Cell:  # type: ignore[no-untyped-def]
    data = sampler(np.random.default_rng(seed), (datasets, n))
    found = [mean_estimate(row) for row in data]
    return _cell(
        [e is not None and e.low <= 1.0 <= e.high for e in found],
        [e is not None and e.enough for e in found],
    )


def quantile_cell(p: float, n: int, datasets: int, seed: int, sigma: float = 0.5) -> Cell:
    """Lognormal(6.5, sigma) latencies (ms); the true quantile is exp(6.5 + sigma·z_p)."""
    truth = math.exp(6.5 + sigma * NormalDist().inv_cdf(p))
    data = np.random.default_rng(seed).lognormal(6.5, sigma, (datasets, n))
    found = [quantile_estimate(row, p) for row in data]
    return _cell(
        [e is not None and e.low <= truth <= e.high for e in found],
        [e is not None and e.enough for e in found],
    )


def daily_cost_cell(  # type: ignore[no-untyped-def]
    sampler, rate_per_day: float, days: float, datasets: int, seed: int
) -> Cell:
    """A Poisson stream at ``rate_per_day`` over ``days`` with costs from ``sampler`` (mean
    1): the daily cost's interval (cost per request × rate) against ``rate_per_day``."""
    rng = np.random.default_rng(seed)
    hits, enough = [], []
    for _ in range(datasets):
        n = int(rng.poisson(rate_per_day * days))
        times = np.sort(rng.uniform(0.0, days, n))
        cost = mean_estimate(sampler(rng, n))
        if cost is None or n < 2:
            hits.append(False)
            enough.append(False)
            continue
        span = max(float(times[-1] - times[0]), 60.0 / 86400)
        daily = product_estimate(cost, daily_rate(n, span))
        hits.append(daily.low <= rate_per_day <= daily.high)
        enough.append(daily.enough)
    return _cell(hits, enough)
