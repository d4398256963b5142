"""Benchmark: the first Pareto front of 100,000 candidates × 3 objectives.

Run on demand: ``python tests/benchmarks/bench_decide.py [--runs 7]``. Compares
``autoopt.decide.pareto.first_front`` with ``moocore.is_nondominated`` (the reference, same
run) and with pymoo's ``NonDominatedSorting(...).do(only_non_dominated_front=True)``, on
uniform points and on points near a front, and times ``choose()`` on a 10,000-point space.
Prints medians and ratios; exits 1 if first_front is slower than 1.2× moocore.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from autoopt.decide.pareto import first_front

N, M = 100_000, 3


def uniform(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(size=(N, M))


def near_front(rng: np.random.Generator) -> np.ndarray:
    """Points on the simplex-like sphere surface plus a little noise: a large first front."""
    directions = np.abs(rng.normal(size=(N, M)))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return directions + rng.uniform(0.0, 0.02, size=(N, 1))


def median_time(func: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_fronts(runs: int) -> bool:
    import moocore
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    ok = True
    for name, make in (("uniform", uniform), ("near a front", near_front)):
        points = make(np.random.default_rng(42))
        ours = first_front(points)
        ref = np.flatnonzero(moocore.is_nondominated(points))
        assert ours.tolist() == ref.tolist(), "first_front disagrees with moocore"
        t_ours = median_time(lambda p=points: first_front(p), runs)
        t_ref = median_time(lambda p=points: moocore.is_nondominated(p), runs)
        t_nds = median_time(
            lambda p=points: NonDominatedSorting().do(p, only_non_dominated_front=True),
            max(1, runs // 2),
        )
        ratio = t_ours / t_ref
        ok &= ratio <= 1.2
        print(
            f"{name:>13}: front {len(ours):>6} points | first_front {t_ours * 1e3:7.1f} ms | "
            f"moocore {t_ref * 1e3:7.1f} ms | ratio {ratio:4.2f} | "
            f"NonDominatedSorting {t_nds * 1e3:7.1f} ms ({t_nds / t_ref:4.1f}× moocore)"
        )
    return ok


def bench_choose(runs: int) -> None:
    from autoopt.decide.choose import choose
    from autoopt.decide.search import space_of
    from autoopt.values import Estimate, Price
    from tests.decide.helpers import CURRENT, context, policy_doc, strategy, summary
    from tests.decide.test_predict import profile

    models = [f"m{i}" for i in range(40)]
    profiles = {
        m: profile(m, quality=Estimate(85 + i % 7, 84 + i % 7, 86 + i % 7))
        for i, m in enumerate(models)
    }
    profiles["gpt-4o"] = profile("gpt-4o", quality=Estimate(90, 89, 91))
    prices = {m: Price(1e-7 * (i + 1), 4e-7 * (i + 1), "bench") for i, m in enumerate(models)}
    prices["gpt-4o"] = Price(2.5e-6, 1e-5, "bench")
    space = {
        "model": ["gpt-4o", *models],
        "max_tokens": [1024, 2048],
        "temperature": {"min": 0.0, "max": 1.0, "step": 0.1},
        "top_p": [0.5, 0.9, 0.95, 1.0, 0.8],
        "presence_penalty": [0.0, 0.5],
    }
    rows = [
        summary("v7", n=5000, params=dict(CURRENT.params), cost_per_request=0.005, quality=90.0)
    ]
    for top_p in ([0.5, 0.8, 0.9, 0.95, 1.0], [0.5, 0.7, 0.8, 0.9, 0.95, 1.0]):
        spec = policy_doc(search_space={**space, "top_p": top_p})

        def run(spec: object = spec) -> object:
            return choose(
                rows,
                spec,  # type: ignore[arg-type]
                strategy(),
                current=CURRENT,
                context=context(),
                profiles=profiles,
                prices=prices,
                seed=1,
            )

        size = space_of(spec.spec).size
        method = "exhaustive" if size <= 10_000 else "NSGA-II"
        print(f"choose(): {size} points, {method}: {median_time(run, runs) * 1e3:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    ok = bench_fronts(args.runs)
    bench_choose(max(1, args.runs // 3))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
