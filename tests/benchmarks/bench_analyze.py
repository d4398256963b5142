"""Benchmark: the analysis detectors on seeded series with known changes and with none.

    python tests/benchmarks/bench_analyze.py [--trials 300] [--seed 1]

Every series is a week of hourly points (168), noise σ = 1 around a level. Each detector is
run *online*: on every prefix of the series, as ``autoopt cycle`` would each hour, and a
change counts as found at the first prefix whose analysis reports it. Printed per detector:

* **false alarms** — on series without any change: the share of series in which anything was
  reported — by one analysis of the whole week, and by any of the hourly (online) analyses —
  with a Wilson 95% interval, or alarms per 1,000 points (anomalies);
* **detection** — a shift of 1, 2 or 3σ at point 120 (48 points before the end): the share
  found before the series ends, and the median (90th percentile) delay in points;
* the named baseline on the same series: a **static threshold** (Flagger style) — a point
  beyond the mean ± 3 sd of the first day, two in a row.

The same numbers are quoted in docs/analyze.md ("Measured").
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from autoopt.analyze.anomaly import AnomalySettings, detect  # noqa: E402
from autoopt.analyze.drift import adwin, page_hinkley  # noqa: E402
from autoopt.analyze.series import Series  # noqa: E402
from autoopt.analyze.trend import change_points  # noqa: E402

HOUR = 3600.0
N, CHANGE = 168, 120
SHIFTS = (1.0, 2.0, 3.0)


def wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _series(values: np.ndarray) -> Series:
    return Series.build("x", np.arange(values.size) * HOUR, values, np.full(values.size, 100), HOUR)


def cusum_found(y: np.ndarray, start: int) -> int | None:
    """First prefix end (index) at which a change point within 3 points of ``start`` is
    reported (``start`` < 0: any change point at all)."""
    t = np.arange(y.size) * HOUR
    for end in range(max(start + 1, 8), y.size + 1):
        found = change_points(t[:end], y[:end], level=0.01)
        if any(start < 0 or abs(c.index - start) <= 3 for c in found):
            return end - 1
    return None


def drift_found(detector: Callable[[Series], object], y: np.ndarray, start: int) -> int | None:
    """First prefix end at which the detector alarms at or after ``start`` (any, if < 0)."""
    for end in range(max(start + 1, 14), y.size + 1):
        track = detector(_series(y[:end]))
        alarms = [a for a in track.alarms if a >= max(start, 0) * HOUR]  # type: ignore[attr-defined]
        if alarms:
            return end - 1
    return None


def anomaly_alarms(y: np.ndarray, detector: str) -> int:
    return len(detect(_series(y), AnomalySettings(detectors=(detector,))))  # type: ignore[arg-type]


def offline(name: str, y: np.ndarray) -> bool:
    """One analysis of the whole series (as ``autoopt analyze`` run once): anything found?"""
    if name.startswith("CUSUM"):
        return bool(change_points(np.arange(y.size) * HOUR, y, level=0.01))
    if name.startswith("Page"):
        return bool(page_hinkley(_series(y)).alarms)
    if name.startswith("ADWIN"):
        return bool(adwin(_series(y)).alarms)
    return static_found(y, -1) is not None


def static_found(y: np.ndarray, start: int) -> int | None:
    ref = y[:24]
    hit = np.abs(y - ref.mean()) > 3 * ref.std(ddof=1)
    pairs = np.flatnonzero(hit[24:-1] & hit[25:]) + 25
    pairs = pairs[pairs >= max(start, 0)] if start >= 0 else pairs
    return int(pairs[0]) if pairs.size else None


DETECTORS: dict[str, Callable[[np.ndarray, int], int | None]] = {
    "CUSUM change points": cusum_found,
    "Page–Hinkley drift": lambda y, s: drift_found(page_hinkley, y, s),
    "ADWIN drift": lambda y, s: drift_found(adwin, y, s),
    "static threshold (baseline)": static_found,
}


def run(trials: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    null = rng.normal(size=(trials, N))
    shifted = {
        d: rng.normal(size=(trials, N)) + np.where(np.arange(N) >= CHANGE, d, 0.0) for d in SHIFTS
    }
    print(
        f"{trials} seeded series per cell (seed {seed}); 168 hourly points, σ = 1; "
        f"shifts at point {CHANGE}; delays in points (hours)\n"
    )
    header = f"{'detector':30} {'false alarms: one look':24} {'every hour':24}"
    header += "".join(f"{f'{d:g}σ found':>12} {'delay p50/p90':>14}" for d in SHIFTS)
    print(header)
    for name, found in DETECTORS.items():
        began = time.perf_counter()
        once = sum(offline(name, y) for y in null)
        alarms = sum(found(y, -1) is not None for y in null)
        (a, b), (c, e) = wilson(once, trials), wilson(alarms, trials)
        line = f"{name:30} {once / trials:5.1%} [{a:.1%}, {b:.1%}]{'':5}"
        line += f"{alarms / trials:5.1%} [{c:.1%}, {e:.1%}]{'':5}"
        for d in SHIFTS:
            delays = [f - CHANGE for y in shifted[d] if (f := found(y, CHANGE)) is not None]
            rate = len(delays) / trials
            p50 = np.median(delays) if delays else math.nan
            p90 = np.percentile(delays, 90) if delays else math.nan
            line += f"{rate:12.0%} {p50:>7.0f}/{p90:<6.0f}"
        print(line + f"  ({time.perf_counter() - began:.0f}s)")
    print("\nanomalies on series without any (alarms per 1,000 points, two in a row):")
    for detector in ("zscore", "iqr", "mad"):
        total = sum(anomaly_alarms(y, detector) for y in null)
        print(f"  {detector:8} {1000 * total / (trials * N):.2f}")
    print("anomalies: a burst of two points at 160-161 (share of series where both are found):")
    for size in (3.0, 5.0, 8.0):
        line = f"  +{size:g}σ  "
        for detector in ("zscore", "iqr", "mad"):
            hits = 0
            for y in null:
                burst = y.copy()
                burst[160:162] += size
                times = {
                    a.time for a in detect(_series(burst), AnomalySettings(detectors=(detector,)))
                }  # type: ignore[arg-type]
                hits += {160 * HOUR, 161 * HOUR} <= times
            line += f"{detector} {hits / trials:5.0%}   "
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    run(args.trials, args.seed)


if __name__ == "__main__":
    main()
