"""Benchmark: coverage of every interval a summary carries, against known truth, whole grid.

Run on demand: ``python tests/benchmarks/bench_coverage.py [--datasets 1000] [--quick]``.
For each cell (a distribution with a known true value, a sample size n from 50 to 10,000) it
draws ``--datasets`` samples, builds the interval exactly as ``autoopt evaluate`` does and
counts how often it holds the truth — next to the interval autoopt used before (the named
baseline, same samples): Wilson alone, ``mean ± z·se``, integer order statistics clamped to
the sample, and the daily cost with the request rate taken as exact. Error rates are also
computed exactly (every count weighted by its binomial probability). A cell is good when the
coverage is 95% ± 1.5% or the estimate says "not enough data"; the script prints every cell
with its verdict and exits 1 if a cell it expects to be good is not.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from statistics import NormalDist

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autoopt.metrics.stats import (
    mean_estimate,
    product_estimate,
    quantile_estimate,
    quantile_ranks,
    wilson,
)
from autoopt.metrics.summary import daily_rate
from autoopt.probability import binom_pmf
from autoopt.values import Z95
from tests.metrics import coverage

SIZES = (50, 100, 200, 500, 1000, 2000, 5000, 10_000)
LOW, HIGH = 0.935, 0.965


def verdict(value: float, marked: float) -> str:
    if marked >= 0.999:
        return "not enough data"
    return "ok" if LOW <= value <= HIGH else ("over" if value > HIGH else "UNDER")


def wilson_exact(p: float, n: int) -> float:
    k0, pmf = binom_pmf(n, p)
    total = 0.0
    for i, mass in enumerate(pmf):
        est = wilson(k0 + i, n)
        total += float(mass) * (est.low <= p <= est.high)
    return total


def proportions(sizes: tuple[int, ...]) -> list[str]:
    rows = [
        "| error rate | n | autoopt (exact) | Wilson alone (before) | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for p in (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5):
        for n in sizes:
            now, before = coverage.proportion_exact(p, n), wilson_exact(p, n)
            expected = n * min(p, 1 - p)
            mark = (
                verdict(now, 0.0)
                if expected >= 10
                else ("ok (≥ 95%, few events)" if now >= 0.95 else "UNDER")
            )
            rows.append(f"| {p:g} | {n} | {now:.3f} | {before:.3f} | {mark} |")
    return rows


def means(sizes: tuple[int, ...], datasets: int) -> list[str]:
    rows = [
        "| cost distribution | n | autoopt | mean ± z·se (before) | marked | verdict |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, sampler in (
        ("gamma CV 0.7", coverage.gamma(0.7)),
        ("lognormal CV 0.7", coverage.lognormal(0.7)),
        ("gamma CV 1.8", coverage.gamma(1.8)),
        ("lognormal CV 1.8", coverage.lognormal(1.8)),
    ):
        for n in sizes:
            data = sampler(np.random.default_rng(n), (datasets, n))
            found = [mean_estimate(row) for row in data]
            hits = np.array([e is not None and e.low <= 1.0 <= e.high for e in found])
            enough = np.array([e is not None and e.enough for e in found])
            m, se = data.mean(axis=1), data.std(axis=1, ddof=1) / math.sqrt(n)
            before = float(np.mean((m - Z95 * se <= 1.0) & (m + Z95 * se >= 1.0)))
            now = float(hits[enough].mean()) if enough.any() else math.nan
            marked = 1 - float(enough.mean())
            rows.append(
                f"| {name} | {n} | {now:.3f} | {before:.3f} | {marked:.0%} | {verdict(now, marked)} |"
            )
    return rows


def quantiles(sizes: tuple[int, ...], datasets: int) -> list[str]:
    rows = [
        "| percentile | n | autoopt | clamped order statistics (before) | marked | verdict |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for p in (0.5, 0.95, 0.99):
        truth = math.exp(6.5 + 0.5 * NormalDist().inv_cdf(p))
        for n in sizes:
            data = np.random.default_rng(n).lognormal(6.5, 0.5, (datasets, n))
            found = [quantile_estimate(row, p) for row in data]
            hits = np.array([e is not None and e.low <= truth <= e.high for e in found])
            enough = np.array([e is not None and e.enough for e in found])
            _k, r, s = quantile_ranks(n, p)
            ordered = np.sort(data, axis=1)
            before = float(np.mean((ordered[:, r - 1] <= truth) & (truth <= ordered[:, s - 1])))
            now = float(hits[enough].mean()) if enough.any() else math.nan
            marked = 1 - float(enough.mean())
            rows.append(
                f"| p{round(p * 100)} | {n} | {now:.3f} | {before:.3f} | {marked:.0%} | {verdict(now, marked)} |"
            )
    return rows


def daily(sizes: tuple[int, ...], datasets: int) -> list[str]:
    rows = [
        "| cost distribution | requests | autoopt | rate taken as exact (before) | verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for name, sampler in (
        ("gamma CV 0.7", coverage.gamma(0.7)),
        ("gamma CV 1.8", coverage.gamma(1.8)),
        ("lognormal CV 0.7", coverage.lognormal(0.7)),
    ):
        for n in sizes:
            rng = np.random.default_rng(n)
            hits, old, enough = [], [], []
            days, rate = 0.5, n / 0.5
            for _ in range(datasets):
                count = max(int(rng.poisson(rate * days)), 3)
                times = np.sort(rng.uniform(0.0, days, count))
                cost = mean_estimate(sampler(rng, count))
                assert cost is not None
                span = max(float(times[-1] - times[0]), 60.0 / 86400)
                now = product_estimate(cost, daily_rate(count, span))
                factor = count / span
                hits.append(now.low <= rate <= now.high)
                enough.append(now.enough)
                old.append(
                    cost.value * factor - Z95 * cost.stderr * factor
                    <= rate
                    <= cost.value * factor + Z95 * cost.stderr * factor
                )
            held = [h for h, e in zip(hits, enough, strict=True) if e]
            value = sum(held) / len(held) if held else math.nan
            marked = 1 - len(held) / datasets
            rows.append(
                f"| {name} | {n} | {value:.3f} | {np.mean(old):.3f} | {verdict(value, marked)} |"
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="n up to 1,000 only")
    args = parser.parse_args()
    sizes = SIZES[:5] if args.quick else SIZES
    sections = {
        "Error rate (exact coverage)": proportions(sizes),
        "Mean cost per request": means(sizes, args.datasets),
        "Latency percentiles (lognormal σ 0.5)": quantiles(sizes, args.datasets),
        "Daily cost (Poisson arrivals over 12 h)": daily(sizes, args.datasets),
    }
    bad = 0
    for title, rows in sections.items():
        print(f"\n### {title} — {args.datasets} datasets per cell\n")
        print("\n".join(rows))
        bad += sum("UNDER" in row for row in rows)
    print(f"\ncells under 93.5% while claiming enough data: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
