"""The long fuzz run, on demand: ``python tests/fuzz/run_documents.py --examples 10000``.

Runs the same mutations as ``tests/fuzz/test_documents.py`` (random, not derandomised) and,
instead of stopping at the first failure, counts every outcome: exit 3 (or any code but 0/1),
slow runs (over 10 s: hangs), and runs with a problem line that carries no ``file:line:col``.
Prints the counts and the first example of each failure; exits 1 when any count is not zero.
A few examples also run as a whole process with a timeout, so a real hang is caught.
"""

from __future__ import annotations

import argparse
import collections
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.fuzz.documents import (  # noqa: E402
    SLOW_SECONDS,
    ByteEdit,
    Mutation,
    Outcome,
    edits,
    unlocated_lines,
    validate_in_process,
    write_repo,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=20, help="whole-process runs")
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    first: dict[str, str] = {}
    scratch = Path(tempfile.mkdtemp(prefix="autoopt-fuzz-")) / "repo"
    whole: list[list[Mutation | ByteEdit]] = []

    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(changes=edits())
    def run(changes: list[Mutation | ByteEdit]) -> None:
        write_repo(scratch, changes)
        outcome = _bounded(scratch)
        counts[outcome.verdict] += 1
        counts["documents"] += 1
        if outcome.verdict != "ok":
            first.setdefault(outcome.verdict, f"{changes!r:.400}\n{outcome.output[-800:]}")
        if len(whole) < args.processes and counts["documents"] % 97 == 1:
            whole.append(changes)
        if counts["documents"] % 500 == 0:
            shown = ", ".join(f"{k} {counts[k]}" for k in ("ok", "bug", "slow", "unlocated"))
            print(f"{counts['documents']}: {shown}", flush=True)

    started = time.perf_counter()
    run()
    for changes in whole:
        counts["processes"] += 1
        counts[f"process {_whole_process(scratch, changes)}"] += 1
    print(f"{counts['documents']} fuzzed repositories in {time.perf_counter() - started:.0f} s")
    for key in ("ok", "bug", "slow", "unlocated", "processes", "process ok", "process hang"):
        print(f"  {key}: {counts[key]}")
    for verdict, example in first.items():
        print(f"\nfirst {verdict}:\n{example}")
    bad = counts["bug"] + counts["slow"] + counts["unlocated"] + counts["process hang"]
    bad += counts["process bug"] + counts["process unlocated"]
    return 1 if bad else 0


class _Hang(BaseException):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def _bounded(scratch: Path) -> Outcome:
    """One in-process run, stopped after ``SLOW_SECONDS`` (counted as slow)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, SLOW_SECONDS + 1)
    started = time.perf_counter()
    try:
        return validate_in_process(scratch)
    except _Hang:
        return Outcome(-1, time.perf_counter() - started, "(stopped: too slow)", ())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _whole_process(scratch: Path, changes: list[Mutation | ByteEdit]) -> str:
    write_repo(scratch, changes)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "autoopt", "validate", "--repo", str(scratch)],
            capture_output=True,
            text=True,
            timeout=SLOW_SECONDS,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return "hang"
    if done.returncode not in (0, 1):
        return "bug"
    return "unlocated" if unlocated_lines(done.stdout + done.stderr) else "ok"


if __name__ == "__main__":
    sys.exit(main())
