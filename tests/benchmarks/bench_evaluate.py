"""Benchmark: ``autoopt evaluate --policy P --format json`` on a 10M-row Parquet file, whole
process, against a Python process that imports duckdb and computes the same summaries.

    python tests/benchmarks/bench_evaluate.py [--rows 10000000] [--repeat 5] [--keep DIR]

Generates (in a temporary directory) a canonical Parquet file — 50 services × 3 versions over
one week, no ``cost_usd`` (priced from the catalog, as most users' metrics are), 30% of rows
scored for quality — and a repository whose policy targets one service. Then, interleaved so
both see the same machine load, each in a fresh process of its own:

* **autoopt** — ``autoopt evaluate --repo R --policy p --format json``: settings, policy,
  config history, validation of every row of the service, accounting, pricing, intervals,
  scoring; the command a user runs;
* **duckdb** — ``python -c`` that imports duckdb and runs one query over the same file for the
  same service: per version n, errors, ``quantile_disc`` p50/p95/p99 latency, mean cost (the
  catalog's per-token prices as literals) and mean quality, printed as JSON.

It prints each variant's median wall time and peak RSS (``ru_maxrss`` of the child), the
ratios (targets: wall ≤ 2×, goal 1.5×; memory ≤ 2×), and checks that n, errors, p50/p95/p99,
cost per request and quality agree between the two.
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
SERVICE = "service-07"
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-haiku")

BASELINE = """
import json, sys, duckdb
path, service, prices = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
cost = "CASE model " + " ".join(
    f"WHEN '{m}' THEN tokens_in * {p[0]} + tokens_out * {p[1]}" for m, p in prices.items()
) + " END"
con = duckdb.connect()
rows = con.execute(f'''
SELECT version, count(*), sum(error::INTEGER), quantile_disc(latency_ms, [0.5, 0.95, 0.99]),
  avg({cost}), avg(quality)
FROM read_parquet(?) WHERE service = ? GROUP BY version ORDER BY version''',
  [path, service]).fetchall()
print(json.dumps([{"version": v, "n": n, "errors": e, "p": q, "cost": c, "quality": ql}
                  for v, n, e, q, c, ql in rows]))
"""


def generate(path: Path, rows: int, seed: int = 42) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-11-18T00:00:00", "us")
    week = 7 * 86_400_000_000
    stamps = start + np.sort(rng.integers(0, week, rows)).astype("timedelta64[us]")
    service = rng.integers(0, 50, rows)
    version = rng.integers(0, 3, rows)
    tokens_in = rng.integers(200, 4000, rows)
    tokens_out = rng.integers(10, 800, rows)
    speed = np.array([6.0, 3.5, 4.0])[version]
    latency = 300 + tokens_out * speed * rng.lognormal(0, 0.2, rows)
    quality = np.where(rng.random(rows) < 0.3, rng.normal(88, 5, rows).clip(0, 100), np.nan)
    names = np.array([f"service-{i:02d}" for i in range(50)])
    table = pa.table(
        {
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "service": pa.array(names[service]),
            "version": pa.array(np.array(["v1", "v2", "v3"])[version]),
            "model": pa.array(np.array(MODELS)[version]),
            "latency_ms": latency,
            "ttft_ms": latency * 0.3,
            "tokens_in": tokens_in.astype("float64"),
            "tokens_out": tokens_out.astype("float64"),
            "error": rng.random(rows) < 0.02,
            "quality": pa.array(quality, from_pandas=True),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)


def repository(root: Path, data: Path) -> Path:
    repo = root / "repo"
    (repo / "policies").mkdir(parents=True, exist_ok=True)
    (repo / "configs").mkdir(exist_ok=True)
    (repo / "autoopt.yaml").write_text(
        "apiVersion: autoopt/v1\nkind: Settings\nmetadata: {name: bench}\n"
        f"spec:\n  metrics: {{type: files, path: {data.relative_to(repo)}}}\n",
        encoding="utf-8",
    )
    (repo / "policies" / "p.yaml").write_text(
        "apiVersion: autoopt/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n"
        f"  target: {{service: {SERVICE}, config: configs/{SERVICE}.yaml}}\n"
        "  objectives:\n    - {metric: cost_per_request, goal: minimize, weight: 0.6}\n"
        "    - {metric: quality, goal: maximize, weight: 0.4}\n"
        "  constraints:\n    - {metric: latency_p95_ms, max: 6000}\n",
        encoding="utf-8",
    )
    (repo / "configs" / f"{SERVICE}.yaml").write_text(
        f"apiVersion: autoopt/v1\nkind: LLMConfig\nmetadata: {{name: {SERVICE}}}\nspec:\n"
        "  stable:\n    version: v1\n    params: {model: gpt-4o, temperature: 0.7}\n",
        encoding="utf-8",
    )
    return repo


def prices() -> dict[str, tuple[float, float]]:
    """The catalog's per-token prices of the three models on the file's last day."""
    sys.path.insert(0, str(ROOT))
    from datetime import date

    from autoopt.metrics.pricing import rates_for

    out = {}
    for model in MODELS:
        found = rates_for(model, overrides={}, day=date(2026, 11, 24))
        assert found is not None, model
        assert len({t.input for t in found.tiers}) == 1, "a tiered price needs a tiered baseline"
        out[model] = (found.base.input, found.base.output)
    return out


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and stdout of one child process."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]}… failed ({done.returncode}):\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return seconds, peak, done.stdout


def child_peak(command: list[str]) -> tuple[float, int, str]:
    """Run ``command`` in a fresh grandchild so ``ru_maxrss`` is its own."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "s = time.perf_counter() - t\n"
        "sys.stderr.write(done.stderr)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps({'seconds': s, 'peak': peak, 'code': done.returncode, "
        "'out': done.stdout}))\n"
    )
    _seconds, _peak, out = timed([sys.executable, "-c", wrapper, *command])
    found = json.loads(out)
    if found["code"] != 0:
        raise SystemExit(f"{command[:3]}… exited {found['code']}")
    return float(found["seconds"]), int(found["peak"]), str(found["out"])


def check(autoopt_out: str, duckdb_out: str) -> None:
    ours = json.loads(autoopt_out)
    theirs = {r["version"]: r for r in json.loads(duckdb_out)}
    assert ours["rows"]["rejected"] == 0, ours["rows"]
    assert sorted(theirs) == [c["version"] for c in ours["candidates"]]
    for candidate in ours["candidates"]:
        base = theirs[candidate["version"]]
        metrics = candidate["metrics"]
        assert candidate["n"] == base["n"], candidate["version"]
        errors = round(metrics["error_rate"]["value"] * candidate["n"])
        assert errors == base["errors"], candidate["version"]
        for name, value in zip(("p50", "p95", "p99"), base["p"], strict=True):
            assert metrics[f"latency_{name}_ms"]["value"] == value, (candidate["version"], name)
        cost = metrics["cost_per_request"]["value"]
        assert abs(cost - base["cost"]) <= 1e-9 * abs(base["cost"]), candidate["version"]
        assert abs(metrics["quality"]["value"] - base["quality"]) <= 1e-9 * base["quality"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="generate here and keep it (reused)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autoopt-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        data = root / "repo" / "metrics" / "requests.parquet"  # the file sits in the repository
        if not data.exists():
            data.parent.mkdir(parents=True)
            started = time.perf_counter()
            code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.benchmarks."
            code += f"bench_evaluate import generate; generate({str(data)!r}, {args.rows})"
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            took = time.perf_counter() - started
            print(
                f"generated {args.rows:,} rows in {took:.1f} s: {data.stat().st_size / 1e6:.0f} MB"
            )
        repo = root / "repo"
        if not (repo / "autoopt.yaml").exists():
            repository(root, data)
        run(args.repeat, repo, data)


def run(repeat: int, repo: Path, data: Path) -> None:
    env_python = sys.executable
    autoopt = [env_python, "-m", "autoopt", "evaluate", "--repo", str(repo), "--policy", "p",
               "--format", "json"]  # fmt: skip
    baseline = [env_python, "-c", BASELINE, str(data), SERVICE, json.dumps(prices())]
    results: dict[str, list[tuple[float, int]]] = {"autoopt": [], "duckdb": []}
    outputs: dict[str, str] = {}
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    for _ in range(repeat):  # interleaved: the same machine load for both
        for name, command in (("autoopt", autoopt), ("duckdb", baseline)):
            seconds, peak, out = child_peak(command)
            results[name].append((seconds, peak))
            outputs[name] = out
    check(outputs["autoopt"], outputs["duckdb"])
    report(results)


def report(results: dict[str, list[tuple[float, int]]]) -> None:
    medians = {k: statistics.median(s for s, _ in v) for k, v in results.items()}
    peaks = {k: max(p for _, p in v) for k, v in results.items()}
    for name, runs in results.items():
        walls = ", ".join(f"{s:.2f}" for s, _ in runs)
        print(f"{name:>8}: median {medians[name]:6.2f} s ({walls})  peak RSS "
              f"{peaks[name] / 1e6:6.0f} MB")  # fmt: skip
    ratio = medians["autoopt"] / medians["duckdb"]
    memory = peaks["autoopt"] / peaks["duckdb"]
    verdict = "OK" if ratio <= 2 else "MISSED"
    print(f"wall autoopt / duckdb: {ratio:.2f} (target <= 2, goal 1.5) {verdict}; "
          f"peak memory {memory:.2f}x (target <= 2) {'OK' if memory <= 2 else 'MISSED'}")  # fmt: skip
    print("numbers agree: n, errors, p50/p95/p99, cost per request, quality")


if __name__ == "__main__":
    main()
