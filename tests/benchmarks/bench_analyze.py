"""Benchmarks of the analysis: its detectors' statistics, and the cycle's analysis at scale.

    python tests/benchmarks/bench_analyze.py detectors [--trials 300] [--seed 1]
    python tests/benchmarks/bench_analyze.py cycle [--services 1000] [--per-hour 30] [--days 7]
                                                   [--repeat 3]

**detectors** — every series is a week of hourly points (168), noise σ = 1 around a level.
Each detector is run *online*: on every prefix of the series, as ``autoopt cycle`` would
each hour, and a change counts as found at the first prefix whose analysis reports it.
Printed per detector:

* **false alarms** — on series without any change: the share of series in which anything was
  reported — by one analysis of the whole week, and by any of the hourly (online) analyses —
  with a Wilson 95% interval, or alarms per 1,000 points (anomalies);
* **detection** — a shift of 1, 2 or 3σ at point 120 (48 points before the end): the share
  found before the series ends, and the median (90th percentile) delay in points;
* the named baseline on the same series: a **static threshold** (Flagger style) — a point
  beyond the mean ± 3 sd of the first day, two in a row.

**cycle** — generates a GitOps repository (one policy and config per service; each policy
declares a critical threshold trigger, an anomaly, a drift and a projected-budget trigger with
a daily budget) and a Parquet file of ``services × per-hour × 24 × days`` rows. Then,
interleaved in the same run, each in its own Python process: the **baseline** (load the
documents and read the metrics: what any cycle does anyway), the **analysis** (the same, then
every policy's triggers evaluated at ``now`` by
:func:`autoopt.monitor.triggers.evaluate_policies`), and ``autoopt cycle --dry-run`` when the
command exists. Printed: median wall times, the ratio analysis / baseline and the breakdown by
phase. The target of issue #15: the whole cycle with analysis under 60 s for 1,000 services.

The numbers are quoted in docs/analyze.md ("Measured").
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
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


POLICY = """apiVersion: autoopt/v1
kind: Policy
metadata: {{name: {s}}}
spec:
  target: {{service: {s}, config: configs/{s}.yaml}}
  objectives: [{{metric: cost_per_request, goal: minimize}}]
  budgets: [{{period: daily, limit_usd: 50}}]
  triggers:
    - {{name: errors, type: threshold, metric: error_rate, above: 0.15, window: 5m,
       priority: critical, action: rollback}}
    - {{name: slow, type: anomaly, metric: latency_p95_ms}}
    - {{name: mix, type: drift}}
    - {{name: spend, type: budget, at: 0.9, projected: true}}
"""
CONFIG = """apiVersion: autoopt/v1
kind: LLMConfig
metadata: {{name: {s}}}
spec:
  stable: {{version: v1, params: {{model: gpt-4o-mini}}}}
"""
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from datetime import datetime, UTC
from autoopt.metrics import read_metrics, source_from_settings
from autoopt.spec.repository import load_repository
repo = load_repository(sys.argv[1]); t1 = time.perf_counter()
frame = read_metrics(source_from_settings(repo.settings.spec, repo.root)).frame
t2 = time.perf_counter(); fired = None
if sys.argv[2] == "analysis":
    from autoopt.monitor.triggers import evaluate_policies
    configs = {k: v.document for k, v in repo.configs.items()}
    found = evaluate_policies([p.document for p in repo.policies.values()], configs, frame,
                              now=datetime(2026, 11, 25, tzinfo=UTC))
    fired = sum(bool(f.outcome.fired) for f in found)
t3 = time.perf_counter()
print(json.dumps({"documents": t1 - t0, "metrics": t2 - t1, "triggers": t3 - t2, "fired": fired}))
"""


def generate(root: Path, services: int, per_hour: int, days: int) -> int:
    import numpy as np
    import pandas as pd

    (root / "policies").mkdir(parents=True)
    (root / "configs").mkdir()
    (root / "metrics").mkdir()
    (root / "autoopt.yaml").write_text(
        "apiVersion: autoopt/v1\nkind: Settings\nmetadata: {name: bench}\n"
        "spec:\n  metrics: {type: files, path: metrics/}\n",
        encoding="utf-8",
    )
    names = [f"svc-{i:04d}" for i in range(services)]
    for s in names:
        (root / "policies" / f"{s}.yaml").write_text(POLICY.format(s=s), encoding="utf-8")
        (root / "configs" / f"{s}.yaml").write_text(CONFIG.format(s=s), encoding="utf-8")
    rng = np.random.default_rng(1)
    n = services * per_hour * 24 * days
    start = pd.Timestamp("2026-11-18T00:00:00Z")
    frame = pd.DataFrame(
        {
            "timestamp": start + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), "s"),
            "service": np.array(names)[rng.integers(0, services, n)],
            "version": "v1",
            "model": "gpt-4o-mini",
            "latency_ms": rng.lognormal(6.5, 0.4, n).round(1),
            "tokens_in": rng.integers(500, 3000, n),
            "tokens_out": rng.integers(50, 400, n),
            "cost_usd": rng.lognormal(-6, 0.5, n).round(7),
            "error": rng.random(n) < 0.02,
        }
    )
    frame.to_parquet(root / "metrics" / "requests.parquet", index=False)
    return n


def _child(repo: Path, mode: str) -> tuple[float, dict[str, float]]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(repo), mode], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - began, json.loads(done.stdout.strip().splitlines()[-1])


def _cycle(repo: Path) -> float | None:
    autoopt = Path(sys.executable).with_name("autoopt")
    if subprocess.run([str(autoopt), "cycle", "--help"], capture_output=True).returncode != 0:
        return None
    began = time.perf_counter()
    subprocess.run([str(autoopt), "cycle", "--dry-run", "--repo", str(repo)], capture_output=True)
    return time.perf_counter() - began


def cycle_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        rows = generate(repo, args.services, args.per_hour, args.days)
        print(f"{args.services} services, {rows:,} rows over {args.days} days (Parquet)")
        base, full, cycles, parts = [], [], [], []
        for _ in range(args.repeat):  # interleaved
            base.append(_child(repo, "baseline")[0])
            wall, split = _child(repo, "analysis")
            full.append(wall)
            parts.append(split)
            cycle = _cycle(repo)
            if cycle is not None:
                cycles.append(cycle)
        b, a = statistics.median(base), statistics.median(full)
        print(
            f"baseline (documents + metrics): {b:.1f} s   analysis: {a:.1f} s   ratio {a / b:.2f}"
        )
        for key in ("documents", "metrics", "triggers"):
            print(f"  {key:10} {statistics.median(p[key] for p in parts):6.1f} s")
        print(f"  services with a trigger fired: {parts[-1]['fired']} of {args.services}")
        if cycles:
            print(f"autoopt cycle --dry-run: {statistics.median(cycles):.1f} s (target < 60 s)")
        else:
            print("autoopt cycle: not on this checkout (the analysis step above is what it adds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = parser.add_subparsers(dest="part", required=True)
    detectors = parts.add_parser("detectors")
    detectors.add_argument("--trials", type=int, default=300)
    detectors.add_argument("--seed", type=int, default=1)
    cycle = parts.add_parser("cycle")
    cycle.add_argument("--services", type=int, default=1000)
    cycle.add_argument("--per-hour", type=int, default=30)
    cycle.add_argument("--days", type=int, default=7)
    cycle.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.part == "detectors":
        run(args.trials, args.seed)
    else:
        cycle_main(args)


if __name__ == "__main__":
    main()
