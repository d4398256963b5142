"""Wall time of `autoopt --help` against `python -c "import click"`: median of N runs each.

Run: python tests/benchmarks/bench_startup.py [--runs 10]. Target: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    baseline = median_seconds([sys.executable, "-c", "import click"], runs)
    ours = median_seconds([sys.executable, "-m", "autoopt", "--help"], runs)
    print(f"python -c 'import click': median {baseline * 1000:7.1f} ms over {runs} runs")
    print(f"autoopt --help:           median {ours * 1000:7.1f} ms over {runs} runs")
    print(f"ratio: {ours / baseline:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
