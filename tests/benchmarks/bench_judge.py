"""Benchmark: the sequential judge against the two baselines on the same simulated traffic.

    python tests/benchmarks/bench_judge.py [--runs 1000] [--rate 10] [--poll 60] [--workers 2]

For each case (a healthy canary; a healthy canary while both arms slow down, latency doubling
per hour; a regression of exactly the trigger size on one metric; and a p95 regression of
twice the trigger size starting at the 25% stage, or 5 minutes into it)
it runs ``--runs`` seeded rollouts through the balanced strategy (5/25/50/100%, 5m/10m/15m,
max stage time 1h, α = 0.05, β = 0.20), polling the judge every minute with all data since the
rollout started. Run ``i`` of a case uses seed ``(seed, case, i)`` for every judge, so the
judges see the same requests. Per-request data comes from numpy (tests/judge/traffic.py).

Printed per judge: the false rollback rate (healthy canaries rolled back by a statistical
verdict), timeouts, the detection rate for each regression (anything but a full promotion),
and the mean minutes and canary requests to the final verdict; for the regressions that
start mid-rollout, the delay from the onset to the rollback (minutes and looks, median and
90th percentile). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from autoopt.decide.baselines import judge_mannwhitney, judge_threshold
from autoopt.decide.judge import judge_stage
from autoopt.spec import presets
from tests.judge.traffic import Outcome, Traffic, rollout

JUDGES = {"sequential": judge_stage, "threshold": judge_threshold, "mannwhitney": judge_mannwhitney}
CASES = {
    "healthy": {},
    "healthy, trend": {"latency_trend": 1.0},
    "error +5 pts": {"error_delta": 0.05},
    "p95 +20%": {"latency_factor": 1.2},
    "quality -10%": {"quality_factor": 0.9},
    "p95 +40% @25%": {"latency_factor": 1.4, "onset_step": 1},
    "p95 +40% @25%+5m": {"latency_factor": 1.4, "onset_step": 1, "onset_minutes": 5.0},
}


def work(job: tuple[str, str, float, int, int, int, float]) -> list[Outcome]:
    judge_name, case, rate, seed, first, count, poll = job
    spec = presets()["balanced"].spec
    traffic = Traffic(rate=rate, **CASES[case])  # type: ignore[arg-type]
    case_id = list(CASES).index(case)
    out = []
    for i in range(first, first + count):
        rng = np.random.default_rng([seed, case_id, i])
        out.append(rollout(JUDGES[judge_name], spec, traffic, rng, timedelta(seconds=poll)))
    return out


def ci(p: float, n: int) -> str:
    half = 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / n)
    return f"{p:6.1%} ±{half:4.1%}"


def delays(results: dict[tuple[str, str], list[Outcome]]) -> None:
    """Detection delay after the onset, for the cases whose regression starts mid-rollout."""
    late = [key for key in results if CASES[key[1]].get("onset_step")]
    if not late:
        return
    print("\nRegressions starting mid-rollout: delay from the onset to the rollback")
    header = f"{'judge':<12} {'case':<17} {'before onset':>12} {'caught after':>12}"
    print(header + f" {'median min':>10} {'p90 min':>8} {'median looks':>12} {'p90 looks':>9}")
    for judge, case in late:
        outcomes = results[judge, case]
        early = sum(o.result != "promoted" and o.onset_s is None for o in outcomes)
        found = [d for d in (o.delay for o in outcomes) if d is not None]
        minutes = sorted(s / 60 for s, _ in found) or [math.nan]
        looks = sorted(k for _, k in found) or [0]
        p90 = int(0.9 * (len(found) - 1))
        print(
            f"{judge:<12} {case:<17} {early / len(outcomes):12.1%} {len(found) / len(outcomes):12.1%}"
            f" {statistics.median(minutes):10.1f} {minutes[p90]:8.1f}"
            f" {statistics.median(looks):12.1f} {looks[p90]:9d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--poll", type=float, default=60.0, help="seconds between looks")
    parser.add_argument("--cases", nargs="*", choices=list(CASES), default=list(CASES))
    parser.add_argument("--judges", nargs="*", choices=list(JUDGES), default=list(JUDGES))
    args = parser.parse_args()
    chunk = max(1, args.runs // (4 * args.workers))
    results: dict[tuple[str, str], list[Outcome]] = {}
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for judge in args.judges:
            for case in args.cases:
                jobs = [
                    (
                        judge,
                        case,
                        args.rate,
                        args.seed,
                        first,
                        min(chunk, args.runs - first),
                        args.poll,
                    )
                    for first in range(0, args.runs, chunk)
                ]
                results[judge, case] = [o for part in pool.map(work, jobs) for o in part]
    elapsed = time.perf_counter() - started
    print(
        f"{args.runs} rollouts per judge and case, {args.rate:g} requests/s, a look every "
        f"{args.poll:g}s, balanced strategy"
    )
    print("(α = 0.05: false rollbacks should be ≤ 5%; β = 0.20: detection should be ≥ 80%)\n")
    header = f"{'judge':<12} {'case':<17} {'rolled back':>15} {'timeout':>8} {'promoted':>9}"
    print(header + f" {'minutes':>8} {'canary n':>9}")
    for (judge, case), outcomes in results.items():
        n = len(outcomes)
        back = sum(o.result == "rollback" for o in outcomes) / n
        timeout = sum(o.result == "timeout" for o in outcomes) / n
        promoted = sum(o.result == "promoted" for o in outcomes) / n
        minutes = statistics.fmean(o.seconds for o in outcomes) / 60
        canary = statistics.fmean(o.canary_requests for o in outcomes)
        print(
            f"{judge:<12} {case:<17} {ci(back, n):>15} {timeout:8.1%} {promoted:9.1%}"
            f" {minutes:8.1f} {canary:9.0f}"
        )
    delays(results)
    print(f"\nwall time {elapsed:.0f}s with {args.workers} workers")


if __name__ == "__main__":
    main()
