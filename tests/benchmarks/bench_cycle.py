"""Benchmark: ``autoopt cycle`` with analysis over many services with file metrics.

Run on demand (not part of the test run):

    python tests/benchmarks/bench_cycle.py [--services 1000] [--per-hour 30] [--days 7] [--repeat 3]

Generates a GitOps repository (a bare origin and clones; one policy and config per service)
and one Parquet file of ``services × per-hour × 24 × days`` requests. Each policy declares
four triggers: a critical error-rate threshold (rollback), a latency anomaly, a request-mix
drift and a projected daily budget (propose_cheaper). A third of the services are healthy,
a third spend beyond their daily budget, and a third fail 90% of their requests in the last
hour. Then, interleaved in the same run, each a whole ``python -m autoopt cycle``
process on a fresh clone of a fresh bare copy of the origin (so every run does the same
work: judging, committing, pushing proposals):

* **analysis**: the repository as generated;
* **baseline** (named): the same cycle without analysis — the same repository and metrics
  with the policies' ``triggers`` removed.

Printed: the median wall times, the ratio, and the breakdown by phase from the summary's
``seconds`` (start = git sync + first read of the documents; analyze; reconcile; propose).
Checked: every service has its event, the budget third fired ``spend`` and its proposal was
asked to be cheaper (``cheaper_asked``), the failing third fired the critical ``errors``
trigger (an alert: no promotion to roll back) and skipped the rest, the healthy third fired
neither (and the anomaly and drift detectors at most 2% of it: their false alarms), and the
trigger log reached the origin. The target of issue #15: < 60 s for 1,000.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-25T00:00:00Z"
SEEDED = "2026-11-17T00:00:00Z"

SETTINGS = """apiVersion: autoopt/v1
kind: Settings
metadata: {name: bench}
spec:
  metrics: {type: files, path: metrics/}
  forge: {type: local}
"""
POLICY = """apiVersion: autoopt/v1
kind: Policy
metadata: {{name: {s}}}
spec:
  target: {{service: {s}, config: configs/{s}.yaml}}
  objectives: [{{metric: cost_per_request, goal: minimize}}]
  constraints: [{{metric: error_rate, max: 0.2}}]
  search_space: {{model: [gpt-4o, gpt-4o-mini]}}
  budgets: [{{period: daily, limit_usd: 20}}]
"""
TRIGGERS = """  triggers:
    - {name: errors, type: threshold, metric: error_rate, above: 0.3, window: 1h,
       min_sample: 10, priority: critical, action: rollback}
    - {name: slow, type: anomaly, metric: latency_p95_ms}
    - {name: mix, type: drift}
    - {name: spend, type: budget, at: 0.9, projected: true}
"""
CONFIG = """apiVersion: autoopt/v1
kind: LLMConfig
metadata: {{name: {s}}}
spec:
  stable: {{version: v1, params: {{model: gpt-4o}}}}
"""
KINDS = ("healthy", "over budget", "failing")


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
        "GIT_AUTHOR_DATE": SEEDED,
        "GIT_COMMITTER_DATE": SEEDED,
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    )
    return done.stdout


def metrics(path: Path, services: int, per_hour: int, days: int) -> int:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    names = np.array([f"svc-{i:04d}" for i in range(services)])
    n = services * per_hour * 24 * days
    end = pd.Timestamp(NOW)
    offsets = np.sort(rng.uniform(0, days * 86400, n))
    which = rng.integers(0, services, n)
    kind = which % 3
    late = offsets > days * 86400 - 3600  # the last hour
    error = rng.random(n) < np.where((kind == 2) & late, 0.9, 0.02)
    cost = rng.lognormal(-6, 0.5, n) * np.where(kind == 1, 40.0, 1.0)
    frame = pd.DataFrame(
        {
            "timestamp": end - pd.Timedelta(days=days) + pd.to_timedelta(offsets, "s"),
            "service": names[which],
            "version": "v1",
            "model": "gpt-4o",
            "latency_ms": rng.lognormal(6.5, 0.4, n).round(1),
            "tokens_in": rng.integers(500, 3000, n),
            "tokens_out": rng.integers(50, 400, n),
            "cost_usd": cost.round(7),
            "error": error,
            "quality": np.clip(rng.normal(88, 4, n), 0, 100).round(1),
        }
    )
    frame.to_parquet(path, index=False)
    return n


def repository(tmp: Path, name: str, services: int, data: Path, *, triggers: bool) -> Path:
    seed = tmp / f"seed-{name}"
    for folder in ("policies", "configs", "metrics"):
        (seed / folder).mkdir(parents=True)
    (seed / "autoopt.yaml").write_text(SETTINGS, encoding="utf-8")
    for i in range(services):
        s = f"svc-{i:04d}"
        policy = POLICY.format(s=s) + (TRIGGERS if triggers else "")
        (seed / "policies" / f"{s}.yaml").write_text(policy, encoding="utf-8")
        (seed / "configs" / f"{s}.yaml").write_text(CONFIG.format(s=s), encoding="utf-8")
    (seed / "metrics" / "requests.parquet").symlink_to(data)
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "seed")
    origin = tmp / f"origin-{name}.git"
    git(tmp, "clone", "--quiet", "--bare", str(seed), str(origin))
    return origin


def run(tmp: Path, origin: Path, index: int) -> tuple[float, list[dict[str, Any]], Path]:
    fresh = tmp / f"{origin.stem}-{index}.git"
    git(tmp, "clone", "--quiet", "--bare", str(origin), str(fresh))
    clone = tmp / f"{origin.stem}-clone-{index}"
    git(tmp, "clone", "--quiet", str(fresh), str(clone))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for key in ("GITHUB_ACTIONS", "CI", "GITHUB_EVENT_NAME"):
        env.pop(key, None)
    args = [sys.executable, "-m", "autoopt", "cycle", "--repo", str(clone)]
    args += ["--now", NOW, "--format", "json"]
    began = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"cycle failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return wall, [json.loads(line) for line in done.stdout.splitlines()], fresh


def check(lines: list[dict[str, Any]], services: int, origin: Path, *, triggers: bool) -> str:
    events = [e for e in lines if e["event"] == "service"]
    problems = []
    if len(events) != services:
        problems.append(f"{len(events)} events for {services} services")
    fired: Counter[tuple[str, str]] = Counter()
    for e in events:
        kind = KINDS[int(e["service"].split("-")[1]) % 3]
        names = tuple(t["name"] for t in e["triggers"] if t["status"] == "fired")
        fired[(kind, ",".join(names) or "none")] += 1
        if triggers and kind == "over budget":
            codes = [r["code"] for r in e["reasons"]]
            if "spend" not in names or (e["phase"] == "propose" and codes[:1] != ["cheaper_asked"]):
                problems.append(f"{e['service']}: spend {names}, reasons {codes[:2]}")
        if triggers and kind == "failing":
            skipped = {t["name"] for t in e["triggers"] if t["status"] == "skipped"}
            if names[:1] != ("errors",) or [a["trigger"] for a in e["alerts"]] != ["errors"]:
                problems.append(f"{e['service']}: errors did not alert ({names})")
            elif skipped != {"slow", "mix", "spend"}:
                problems.append(f"{e['service']}: not short-circuited ({skipped})")
        if triggers and kind == "healthy" and {"errors", "spend"} & set(names):
            problems.append(f"{e['service']}: healthy but fired {names}")
    if triggers:
        logged = json.loads(git(origin, "show", "main:.autoopt/triggers.json"))["services"]
        if len(logged) != sum(n for (k, v), n in fired.items() if v != "none"):
            problems.append(f"trigger log on origin has {len(logged)} services")
    healthy = sum(n for (k, v), n in fired.items() if k == "healthy")
    noisy = sum(n for (k, v), n in fired.items() if k == "healthy" and v != "none")
    if triggers and noisy > 0.02 * healthy:  # anomaly and drift detectors' false alarms
        problems.append(f"{noisy} of {healthy} healthy services fired a detector")
    if problems:
        raise SystemExit("wrong results: " + "; ".join(problems[:5]))
    return ", ".join(f"{k}: {v} {n}" for (k, v), n in sorted(fired.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--per-hour", type=int, default=30)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        data = tmp / "requests.parquet"
        rows = metrics(data, args.services, args.per_hour, args.days)
        origins = {
            "analysis": repository(tmp, "analysis", args.services, data, triggers=True),
            "baseline": repository(tmp, "baseline", args.services, data, triggers=False),
        }
        print(f"{args.services} services, {rows:,} requests over {args.days} days (Parquet)")
        walls: dict[str, list[float]] = {"analysis": [], "baseline": []}
        phases: dict[str, list[dict[str, float]]] = {"analysis": [], "baseline": []}
        for index in range(args.repeat):  # interleaved
            for mode in ("baseline", "analysis"):
                wall, lines, fresh = run(tmp, origins[mode], index)
                shown = check(lines, args.services, fresh, triggers=mode == "analysis")
                walls[mode].append(wall)
                phases[mode].append(lines[-1]["seconds"])
                print(f"  run {index + 1} {mode:8}: {wall:6.1f} s  {shown}")
        a, b = statistics.median(walls["analysis"]), statistics.median(walls["baseline"])
        print(
            f"\nautoopt cycle, {args.services} services, whole process (median of {args.repeat}):"
        )
        print(
            f"  with analysis {a:.1f} s; baseline (same cycle, no triggers) {b:.1f} s; ratio {a / b:.2f}"
        )
        print("  by phase (median s)   analysis  baseline")
        for key in ("start", "analyze", "reconcile", "propose"):
            values = [statistics.median(p.get(key, 0.0) for p in phases[m]) for m in walls]
            print(f"    {key:18} {values[0]:9.1f} {values[1]:9.1f}")
        verdict = "meets" if a < 60 else "MISSES"
        print(f"  {verdict} the target < 60 s for 1,000 services" if args.services >= 1000 else "")


if __name__ == "__main__":
    main()
