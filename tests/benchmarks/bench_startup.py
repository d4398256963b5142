"""Benchmark: how long the CLI takes to start, whole process, against the imports it is
measured by (issue 14 item 4).

    python tests/benchmarks/bench_startup.py [--runs 15]

Every command runs as a user runs it (``python -m autoopt …`` in a fresh process) on a
scratch copy of ``examples/quickstart`` (a git repository of its own, ``AUTOOPT_NOW`` at the
just after its metrics), interleaved round by round with its baselines so both see the same load:

| command                                   | baseline                     | target |
|-------------------------------------------|------------------------------|--------|
| ``autoopt --help``                        | ``python -c "import click"``  | ≤ 1.5× |
| ``autoopt validate``                      | ``python -c "import click"``  | ≤ 3×   |
| ``autoopt status``                        | ``python -c "import click"``  | ≤ 3×   |
| ``autoopt propose --policy chat-cost --dry-run`` | ``python -c "import pandas"`` | ≤ 2.5× |
| ``autoopt evaluate --policy chat-cost``   | ``python -c "import pandas"`` | ≤ 2×   |

It prints each median wall time, the ratio to its baseline and the target, and checks each
command's result (exit 0; evaluate's JSON has both quickstart versions; the dry run prints a
plan). Which heavy modules each command imports is pinned by a test, not here
(tests/cli/test_import_budget.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
NOW = "2026-11-25T00:00:00Z"  # just after the quickstart's two days of metrics

BASELINES = {
    "import click": [PY, "-c", "import click"],
    "import pandas": [PY, "-c", "import pandas"],
}
COMMANDS = [  # (label, autoopt arguments, baseline, target ratio)
    ("--help", ["--help"], "import click", 1.5),
    ("validate", ["validate"], "import click", 3.0),
    ("status", ["status"], "import click", 3.0),
    ("propose --dry-run", ["propose", "--policy", "chat-cost", "--dry-run"], "import pandas", 2.5),
    ("evaluate", ["evaluate", "--policy", "chat-cost"], "import pandas", 2.0),
]


def quickstart(into: Path) -> dict[str, str]:
    """A scratch quickstart repository and the environment to run autoopt in it."""
    repo = into / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", repo)
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "quickstart"], check=True)
    return {**os.environ, "AUTOOPT_NOW": NOW, "NO_COLOR": "1", "PWD": str(repo)}


def check(label: str, output: str) -> None:
    if label == "evaluate --format json":
        versions = {row["version"] for row in json.loads(output)["candidates"]}
        assert {"v6", "v7"} <= versions, versions
    elif label == "propose --dry-run":
        assert "chat-service" in output, output[:500]
    elif label == "--help":
        assert "evaluate" in output and "propose" in output, output[:500]


def timed(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = quickstart(Path(tmp))
        cwd = env["PWD"]
        ours = {label: [PY, "-m", "autoopt", *args] for label, args, _, _ in COMMANDS}
        every = {**BASELINES, **ours}
        _, output = timed([*ours["evaluate"], "--format", "json"], env, cwd)
        check("evaluate --format json", output)
        times: dict[str, list[float]] = {label: [] for label in every}
        for _ in range(runs):
            for label, argv in every.items():
                elapsed, output = timed(argv, env, cwd)
                check(label, output)
                times[label].append(elapsed)
    median = {label: statistics.median(values) for label, values in times.items()}
    print(f"whole processes, median of {runs} interleaved runs, quickstart repository")
    for label in BASELINES:
        print(f"  python -c '{label}'{'':<22} {median[label] * 1000:8.1f} ms")
    failed = 0
    for label, _, baseline, target in COMMANDS:
        ratio = median[label] / median[baseline]
        ok = ratio <= target
        failed += not ok
        print(
            f"  autoopt {label:<30} {median[label] * 1000:8.1f} ms  {ratio:5.2f}x {baseline:<13}"
            f" (target <= {target}x) {'ok' if ok else 'MISSED'}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
