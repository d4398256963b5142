"""Benchmark: ``autoopt reconcile`` over many services with file metrics; the race, 100 rounds.

Run on demand (not part of the test run):

    python tests/benchmarks/bench_reconcile.py [--services 1000] [--rows 700] [--repeat 3]
    python tests/benchmarks/bench_reconcile.py --race 100

The first builds a GitOps repository (a bare origin and a clone) with N services, each in an
active canary rollout and with a policy, plus one Parquet file of per-request metrics (``rows``
requests per arm per service; a third of the canaries healthy, a third with +15 points of
errors, a third with too little traffic), then times ``python -m autoopt reconcile`` end to
end (process start, git sync, loading, reading metrics, judging, committing, one push) and
prints the median, the per-service figure and the verdict counts. The target is < 30 s for
1,000 services. ``--race`` runs the two-clone race of tests/reconcile/test_race.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=20)

SETTINGS = """apiVersion: autoopt/v1
kind: Settings
metadata:
  name: bench
spec:
  metrics: {type: files, path: metrics/}
  forge: {type: local}
"""

CONFIG = """apiVersion: autoopt/v1
kind: LLMConfig
metadata:
  name: svc-{i:04d}
spec:
  stable:
    version: v1
    params:
      model: gpt-4o
      temperature: 0.7
  canary:
    version: v2
    params:
      model: gpt-4o-mini
      temperature: 0.5
    steps: [5, 25, 50, 100]
    durations: [5m, 10m, 15m]
    step: 0
    step_started_at: 2026-11-25T10:00:00Z
    policy: cost-{i:04d}
  paused: false
"""

POLICY = """apiVersion: autoopt/v1
kind: Policy
metadata:
  name: cost-{i:04d}
spec:
  target: {{service: svc-{i:04d}, config: configs/svc-{i:04d}.yaml}}
  objectives:
    - {{metric: cost_per_request, goal: minimize, weight: 0.6}}
    - {{metric: quality, goal: maximize, weight: 0.4}}
  constraints:
    - {{metric: error_rate, max: 0.05}}
  strategy: balanced
  tests:
    - name: keeps the stable without data
      given: {{}}
      expect: {{decision: no_change}}
"""


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    )
    return done.stdout


def metrics(services: int, rows: int, seed: int = 1) -> pd.DataFrame:
    """``rows`` requests per arm per service (a tenth for the low-traffic third)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(services):
        kind = i % 3  # 0 healthy, 1 regression, 2 too little traffic
        n = rows if kind != 2 else rows // 10
        for version, error in (("v1", 0.02), ("v2", 0.17 if kind == 1 else 0.02)):
            failed = rng.random(n) < error
            parts.append(
                pd.DataFrame(
                    {
                        "timestamp": T0 + pd.to_timedelta(rng.uniform(0, 1200, n), unit="s"),
                        "service": f"svc-{i:04d}",
                        "version": version,
                        "model": "gpt-4o" if version == "v1" else "gpt-4o-mini",
                        "latency_ms": 800 * np.exp(0.3 * rng.standard_normal(n)),
                        "tokens_in": 200,
                        "tokens_out": np.where(failed, 0, 150),
                        "cost_usd": rng.gamma(4.0, 0.0005, n),
                        "error": failed,
                        "quality": np.clip(85 + 5 * rng.standard_normal(n), 0, 100),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def build(tmp: Path, services: int, rows: int) -> tuple[Path, Path]:
    seed = tmp / "seed"
    (seed / "configs").mkdir(parents=True)
    (seed / "policies").mkdir()
    (seed / "autoopt.yaml").write_text(SETTINGS)
    for i in range(services):
        (seed / "configs" / f"svc-{i:04d}.yaml").write_text(CONFIG.format(i=i))
        (seed / "policies" / f"cost-{i:04d}.yaml").write_text(POLICY.format(i=i))
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "seed")
    origin = tmp / "origin.git"
    git(tmp, "clone", "--quiet", "--bare", str(seed), str(origin))
    path = tmp / "metrics.parquet"
    metrics(services, rows).to_parquet(path)
    return origin, path


def run_once(tmp: Path, origin: Path, path: Path, index: int) -> tuple[float, dict[str, object]]:
    clone = tmp / f"clone-{index}"
    git(tmp, "clone", "--quiet", str(origin), str(clone))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable,
        "-m",
        "autoopt",
        "reconcile",
        "--repo",
        str(clone),
        "--metrics",
        str(path),
        "--now",
        NOW.isoformat(),
        "--format",
        "json",
    ]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"reconcile failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def bench(services: int, rows: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        t = time.perf_counter()
        origin, path = build(tmp, services, rows)
        print(
            f"built {services} services, {2 * rows} requests per full service "
            f"in {time.perf_counter() - t:.1f}s"
        )
        times = []
        for index in range(repeat):
            # each run starts from the seeded origin: a fresh bare copy, so every run judges
            fresh = tmp / f"origin-{index}.git"
            git(tmp, "clone", "--quiet", "--bare", str(origin), str(fresh))
            elapsed, out = run_once(tmp, fresh, path, index)
            times.append(elapsed)
            counts = Counter((s["verdict"], s["applied"]) for s in out["services"])  # type: ignore[index]
            print(f"run {index + 1}: {elapsed:.2f}s  verdicts {dict(counts)}")
        median = statistics.median(times)
        print(
            f"reconcile, {services} services: median {median:.2f}s over {repeat} run(s); "
            f"{1000 * median / services:.1f} ms per service (target < 30 s for 1,000)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=700, help="requests per arm per service")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--race", type=int, default=0, help="run the race this many rounds")
    args = parser.parse_args()
    if args.race:
        race_rounds(args.race)
    else:
        bench(args.services, args.rows, args.repeat)


def race_rounds(rounds: int) -> None:
    """The race of tests/reconcile/test_race.py, ``rounds`` times, with timing."""
    os.environ["AUTOOPT_RACE_ROUNDS"] = str(rounds)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            str(ROOT / "tests/reconcile/test_race.py"),
            "-k",
            "never_double",
        ],
        cwd=ROOT,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    print(
        f"race: {rounds} rounds, exit {done.returncode}, {elapsed:.1f}s "
        f"({1000 * elapsed / rounds:.0f} ms per round)"
    )


if __name__ == "__main__":
    main()
