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
SEEDED = T0 - timedelta(hours=1)

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
        # the seed lands before the rollouts' stages start (a stage starts no earlier than
        # the commit that brought its config), as in a repository where they were merged
        "GIT_AUTHOR_DATE": SEEDED.isoformat(),
        "GIT_COMMITTER_DATE": SEEDED.isoformat(),
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


BASELINE = """\
import sys
from pathlib import Path
from autoopt.rollout.runner import read_metrics
from autoopt.rollout.state import read_settings
from autoopt.spec.repository import load_repository
root = Path(sys.argv[1])
repository = load_repository(root)
read = read_metrics(root, read_settings(root), sys.argv[2])
print(len(repository.configs), len(read.frame))
"""


def _reconcile(clone: Path, path: Path) -> tuple[float, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "autoopt", "reconcile", "--repo", str(clone)]
    args += ["--metrics", str(path), "--now", NOW.isoformat(), "--format", "json"]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"reconcile failed ({done.returncode}): {done.stderr.strip()}")
    out: dict[str, object] = json.loads(done.stdout)
    return elapsed, out


def _baseline(clone: Path, path: Path, services: int) -> float:
    """The named baseline: a process that loads the same documents and reads the same
    metrics file with autoopt's own loaders — what reconcile must do before judging."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", BASELINE, str(clone), str(path)]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or not done.stdout.startswith(f"{services} "):
        raise SystemExit(f"baseline failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


EXPECTED = {0: "promote", 1: "rollback", 2: "hold"}
KINDS = {0: "healthy", 1: "regressed", 2: "low traffic"}


def check(out: dict[str, object], origin: Path, services: int) -> Counter[tuple[str, str]]:
    """The verdicts by kind of service, and what reached the bare origin: one commit per
    promotion or rollback, the healthy canaries at step 1, the regressed ones gone."""
    found: Counter[tuple[str, str]] = Counter()
    for item in out["services"]:  # type: ignore[attr-defined]
        kind = int(str(item["service"]).split("-")[1]) % 3
        found[(KINDS[kind], str(item["verdict"]))] += 1
        if item["verdict"] != "hold" and not item["applied"]:
            raise SystemExit(f"{item['service']}: {item['verdict']} was not applied")
    sizes = {k: sum(1 for i in range(services) if i % 3 == k) for k in KINDS}
    problems = []
    if found[("regressed", "rollback")] != sizes[1]:
        problems.append(f"{found[('regressed', 'rollback')]} of {sizes[1]} regressed rolled back")
    if found[("low traffic", "hold")] != sizes[2]:
        problems.append(f"{found[('low traffic', 'hold')]} of {sizes[2]} low-traffic held")
    if (
        found[("healthy", "promote")] < 0.9 * sizes[0]
        or found[("healthy", "rollback")] > 0.05 * sizes[0]
    ):
        problems.append(
            f"healthy: {found[('healthy', 'promote')]} promoted, "
            f"{found[('healthy', 'rollback')]} rolled back of {sizes[0]}"
        )
    changed = sum(n for (_kind, verdict), n in found.items() if verdict != "hold")
    commits = int(git(origin, "rev-list", "--count", "main")) - 1
    if commits != changed:
        problems.append(f"{commits} commit(s) pushed to origin for {changed} change(s)")
    sample = {k: next(i for i in range(services) if i % 3 == k) for k in (0, 1) if sizes[k]}
    step = git(origin, "show", f"main:configs/svc-{sample[0]:04d}.yaml")
    if found[("healthy", "promote")] and "step: 1" not in step:
        problems.append("a promoted canary is not at step 1 on origin")
    if "canary:" in git(origin, "show", f"main:configs/svc-{sample[1]:04d}.yaml"):
        problems.append("a rolled-back canary is still on origin")
    if problems:
        raise SystemExit("wrong results: " + "; ".join(problems))
    return found


def bench(services: int, rows: int, repeat: int) -> tuple[float, float]:
    """Interleaved: baseline, reconcile, baseline, reconcile, … each on a fresh clone of a
    fresh bare copy of the seeded origin (so every reconcile judges, commits and pushes)."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        t = time.perf_counter()
        origin, path = build(tmp, services, rows)
        print(
            f"{services} services: built in {time.perf_counter() - t:.1f}s "
            f"({2 * rows} requests per service, a tenth for the low-traffic third)"
        )
        times, bases = [], []
        for index in range(repeat):
            fresh = tmp / f"origin-{index}.git"
            git(tmp, "clone", "--quiet", "--bare", str(origin), str(fresh))
            clone = tmp / f"clone-{index}"
            git(tmp, "clone", "--quiet", str(fresh), str(clone))
            bases.append(_baseline(clone, path, services))
            elapsed, out = _reconcile(clone, path)
            times.append(elapsed)
            found = check(out, fresh, services)
            shown = ", ".join(f"{k} {v} {n}" for (k, v), n in sorted(found.items()))
            print(
                f"  run {index + 1}: reconcile {elapsed:.2f}s, baseline {bases[-1]:.2f}s; {shown}"
            )
        median, base = statistics.median(times), statistics.median(bases)
        print(
            f"  reconcile median {median:.2f}s, baseline (load + read) {base:.2f}s, "
            f"ratio {median / base:.2f}; {1000 * median / services:.1f} ms per service"
        )
        return median, base


def grow(sizes: list[int], rows: int, repeat: int) -> None:
    results = [(n, *bench(n, rows, repeat)) for n in sizes]
    first_n, first_t, _ = results[0]
    print("\nservices  reconcile  baseline  ratio  growth (time / time at first size)")
    for n, t, b in results:
        print(
            f"{n:>8}  {t:>8.2f}s  {b:>7.2f}s  {t / b:>5.2f}  {t / first_t:.2f}× for {n / first_n:.0f}× services"
        )
    n, t, _ = results[-1]
    if n >= 1000:
        verdict = "meets" if t < 30 else "MISSES"
        print(f"{n} services: {t:.1f}s {verdict} the target < 30 s (goal < 10 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--rows", type=int, default=700, help="requests per arm per service")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--race", type=int, default=0, help="run the race this many rounds")
    args = parser.parse_args()
    if args.race:
        race_rounds(args.race)
    else:
        grow(args.services, args.rows, args.repeat)


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
