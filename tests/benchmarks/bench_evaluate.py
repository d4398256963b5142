"""Benchmark: per (service, version, 1-minute bucket) aggregation over 10M rows.

    python tests/benchmarks/bench_evaluate.py [--rows 10000000] [--repeat 5]

Generates a canonical Parquet file (50 services x 2 versions over 24 h) in a temporary
directory, then times, in the same run and on the same file:

* **autoopt** — ``autoopt.metrics.aggregate.timeseries(path, "1m")``: DuckDB push-down that
  also validates every row and counts rejected rows by reason, then Wilson and normal
  intervals in numpy;
* **duckdb** — the plain query: count, error rate, mean cost, ``quantile_disc`` p50/p95/p99
  latency and mean quality, grouped by service, version and minute;
* **+intervals** — ``timeseries(path, "1m", quantile_intervals=True)``: also the
  order-statistic interval of every latency quantile (two passes, sorted lists per bucket);
* **end-to-end** — ``read_metrics`` (Parquet → validated pandas DataFrame, costs kept) and
  ``timeseries`` over that DataFrame (DuckDB over pandas): what ``evaluate --by 1m`` does.

It prints medians, rows/s, the ratio autoopt / DuckDB (target ≤ 1.5) and each variant's peak
memory (its own child process, ``ru_maxrss``) against the Arrow table's in-memory size
(target ≤ 3x). The file is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DUCKDB_QUERY = """
SELECT service, version, time_bucket(INTERVAL '60 seconds', "timestamp") AS bucket,
  count(*) AS n, avg(CAST(error AS INTEGER)) AS error_rate, avg(cost_usd) AS cost,
  quantile_disc(latency_ms, [0.5, 0.95, 0.99]) AS latency, avg(quality) AS quality
FROM read_parquet(?) GROUP BY ALL ORDER BY ALL
"""


def generate(path: Path, rows: int, seed: int = 42) -> int:
    """Write the canonical table to ``path``; return its in-memory (Arrow) size in bytes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-11-24T00:00:00", "us")
    stamps = start + np.sort(rng.integers(0, 86_400_000_000, rows)).astype("timedelta64[us]")
    service = rng.integers(0, 50, rows)
    version = rng.integers(0, 2, rows)
    model = np.where(version == 0, "gpt-4o", "gpt-4o-mini")
    tokens_in = rng.integers(200, 4000, rows)
    tokens_out = rng.integers(10, 800, rows)
    latency = 300 + tokens_out * np.where(version == 0, 6.0, 3.5) * rng.lognormal(0, 0.2, rows)
    quality = np.where(rng.random(rows) < 0.3, rng.normal(88, 5, rows).clip(0, 100), np.nan)
    names = np.array([f"service-{i:02d}" for i in range(50)])
    table = pa.table(
        {
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "service": pa.array(names[service]),
            "version": pa.array(np.array(["v1", "v2"])[version]),
            "variant": pa.nulls(rows, pa.string()),
            "model": pa.array(model),
            "latency_ms": latency,
            "ttft_ms": latency * 0.3,
            "tokens_in": tokens_in.astype("float64"),
            "tokens_out": tokens_out.astype("float64"),
            "cost_usd": tokens_in * 2.5e-6 + tokens_out * 1e-5,
            "error": rng.random(rows) < 0.02,
            "quality": pa.array(quality, from_pandas=True),
            "truncated": tokens_out >= 799,
            "error_type": pa.nulls(rows, pa.string()),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)
    return int(table.nbytes)


def run_autoopt(path: Path) -> int:
    from autoopt.metrics.aggregate import timeseries

    frame, report = timeseries(path, "1m")
    assert report.rejected == 0
    return len(frame)


def run_autoopt_intervals(path: Path) -> int:
    from autoopt.metrics.aggregate import timeseries

    frame, report = timeseries(path, "1m", quantile_intervals=True)
    assert report.rejected == 0
    return len(frame)


def run_duckdb(path: Path) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    frame = con.execute(DUCKDB_QUERY, [str(path)]).df()
    con.close()
    return len(frame)


def run_end_to_end(path: Path) -> int:
    from autoopt.metrics import read_metrics, source_from_settings
    from autoopt.metrics.aggregate import timeseries
    from autoopt.spec.models import SettingsSpec

    spec = SettingsSpec.model_validate({"metrics": {"type": "files", "path": str(path)}})
    read = read_metrics(source_from_settings(spec, path.parent))
    frame, _report = timeseries(read.frame, "1m")
    return len(frame)


VARIANTS = {
    "autoopt": run_autoopt,
    "duckdb": run_duckdb,
    "+intervals": run_autoopt_intervals,
    "end-to-end": run_end_to_end,
}


PRELOAD = {
    "autoopt": ("autoopt.metrics.aggregate",),
    "duckdb": ("duckdb", "pandas"),
    "+intervals": ("autoopt.metrics.aggregate",),
    "end-to-end": ("autoopt.metrics", "autoopt.metrics.aggregate", "autoopt.spec.models"),
}


def child(variant: str, path: Path) -> None:
    """Run one variant once in this (fresh) process; print seconds and peak RSS.

    Imports happen before the clock starts: the figures are the aggregation, not start-up.
    """
    import importlib

    for module in PRELOAD[variant]:
        importlib.import_module(module)
    started = time.perf_counter()
    groups = VARIANTS[variant](path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "groups": groups}))


def measure(variant: str, path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", variant, str(path)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PATH"))
    parser.add_argument("--generate", metavar="PATH")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    if args.generate:
        print(generate(Path(args.generate), args.rows))
        return
    with tempfile.TemporaryDirectory(prefix="autoopt-bench-") as tmp:
        path = Path(tmp) / "metrics.parquet"
        started = time.perf_counter()
        # in a child process too: a forked child inherits its parent's peak RSS
        made = subprocess.run(
            [sys.executable, __file__, "--generate", str(path), "--rows", str(args.rows)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        size = int(made.stdout.strip())
        took = time.perf_counter() - started
        mb = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows in {took:.1f} s: Parquet {mb:.0f} MB, "
              f"in memory (Arrow) {size / 1e6:.0f} MB")  # fmt: skip
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
        for i in range(args.repeat):
            for variant in ("autoopt", "duckdb"):  # interleaved: the same machine load for both
                runs[variant].append(measure(variant, path))
            if i < 3:
                runs["+intervals"].append(measure("+intervals", path))
            if i < 2:
                runs["end-to-end"].append(measure("end-to-end", path))
        report(runs, args.rows, size)


def report(runs: dict[str, list[dict[str, float]]], rows: int, size: int) -> None:
    medians = {v: statistics.median(r["seconds"] for r in rs) for v, rs in runs.items() if rs}
    for variant, seconds in medians.items():
        peak = max(r["peak"] for r in runs[variant])
        groups = int(runs[variant][0]["groups"])
        rate = rows / seconds / 1e6
        print(f"{variant:>10}: median {seconds:6.2f} s  {rate:6.1f} M rows/s  peak RSS "
              f"{peak / 1e6:6.0f} MB = {peak / size:4.2f}x table  ({groups:,} groups)")  # fmt: skip
    ratio = medians["autoopt"] / medians["duckdb"]
    peak = max(r["peak"] for r in runs["autoopt"]) / size
    print(f"ratio autoopt / duckdb: {ratio:.2f} (target <= 1.5) "
          f"{'OK' if ratio <= 1.5 else 'MISSED'}; peak memory {peak:.2f}x table "
          f"(target <= 3) {'OK' if peak <= 3 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
