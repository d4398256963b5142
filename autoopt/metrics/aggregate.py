"""Time series per (service, version, bucket), aggregated by DuckDB.

DuckDB runs the same query over a canonical DataFrame (``autoopt evaluate --by``) or straight
over Parquet files (push-down: rows are validated inside the query and rejected rows counted
by reason in the same scan). Quantiles are ``quantile_disc`` — the inverted empirical CDF,
the same definition as the summaries; on request each also gets its order-statistic interval
(see docs/metrics.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from autoopt.errors import UserError
from autoopt.metrics.stats import quantile_ends_arrays, wilson_arrays
from autoopt.metrics.table import RowsReport
from autoopt.values import Z95, Window

BUCKETS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400}

#: Push-down validation: the first rule a row breaks, as a small integer (0 = accepted);
#: grouping on an integer is cheaper than on text.
_RULES: tuple[tuple[str, str], ...] = (
    ("missing_timestamp", '"timestamp" IS NULL'),
    ("missing_service", "service IS NULL OR service = ''"),
    ("missing_version", "version IS NULL OR version = ''"),
    ("bad_latency", "latency_ms IS NULL OR isnan(latency_ms) OR latency_ms < 0"),
    ("bad_error", "error IS NULL"),
    ("bad_cost", "cost_usd < 0"),
    ("bad_quality", "quality < 0 OR quality > 100"),
)
_REASON = (
    "CASE "
    + " ".join(f"WHEN {test} THEN {code}" for code, (_name, test) in enumerate(_RULES, 1))
    + " ELSE 0 END"
)


_LEVELS = ((50, 0.5), (95, 0.95), (99, 0.99))


def _query(relation: str, seconds: int, where: str, *, ranked: bool = False) -> str:
    # The reason is a grouping key rather than a FILTER on every aggregate: rejected rows land
    # in groups of their own (summed into the report), and valid rows pay no per-aggregate test.
    # NaN from pandas arrives as NULL, so count(x) < n means some values are unknown.
    # ``ranked`` keeps each group's sorted latencies and picks the order statistics whose
    # 1-based ranks the ``ranks`` table gives for the group's n (point and interval ends,
    # interpolated between adjacent order statistics as ``stats.quantile_estimate`` does).
    latency = (
        "list_sort(list(latency_ms)) AS latency_sorted"
        if ranked
        else "quantile_disc(latency_ms, [0.5, 0.95, 0.99]) AS latency_q"
    )
    if ranked:
        picks = ", ".join(
            f"latency_sorted[r.k{q}] AS p{q}, "
            f"latency_sorted[r.lo{q}] + r.lam{q} * (latency_sorted[least(r.lo{q} + 1, g.n)] "
            f"- latency_sorted[r.lo{q}]) AS p{q}_low, "
            f"latency_sorted[r.hi{q}] - r.mu{q} * (latency_sorted[r.hi{q}] "
            f"- latency_sorted[greatest(r.hi{q} - 1, 1)]) AS p{q}_high"
            for q, _ in _LEVELS
        )
        tail = f"""SELECT g.* EXCLUDE (latency_sorted), {picks}
FROM groups g LEFT JOIN ranks r ON g.n = r.n ORDER BY service, version, bucket"""
    else:
        tail = """SELECT * EXCLUDE (latency_q), latency_q[1] AS p50, latency_q[2] AS p95,
  latency_q[3] AS p99
FROM groups ORDER BY service, version, bucket"""
    return f"""
WITH groups AS (
SELECT service, version,
  time_bucket(INTERVAL '{seconds} seconds', "timestamp") AS bucket,
  {_REASON} AS reason,
  count(*) AS n,
  sum(CAST(error AS INTEGER)) AS errors,
  avg(cost_usd) AS cost_mean,
  stddev_samp(cost_usd) AS cost_sd,
  count(cost_usd) AS cost_n,
  {latency},
  avg(quality) AS quality_mean,
  stddev_samp(quality) AS quality_sd,
  count(quality) AS quality_n
FROM {relation} {where} GROUP BY ALL)
{tail}"""


def _ranks(
    con: duckdb.DuckDBPyConnection, relation: str, seconds: int, where: str, params: list[object]
) -> pd.DataFrame:
    """For every group size that occurs: the ranks of the quantiles and of their intervals."""
    sizes = con.execute(
        f"""SELECT DISTINCT count(*) AS n FROM {relation} {where}
GROUP BY service, version, time_bucket(INTERVAL '{seconds} seconds', "timestamp"), {_REASON}""",
        params,
    ).fetchnumpy()["n"]
    sizes = np.asarray(sizes, dtype="int64")
    table: dict[str, Any] = {"n": sizes.astype("int64")}
    for q, p in _LEVELS:
        ends = quantile_ends_arrays(sizes, p)
        for name in ("k", "lo", "lam", "hi", "mu"):
            table[f"{name}{q}"] = ends[name]
    return pd.DataFrame(table)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _where(service: str | None, window: Window | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if service is not None:
        clauses.append("service = ?")
        params.append(service)
    if window is not None:
        clauses.append('"timestamp" >= ? AND "timestamp" < ?')
        params.extend([window.start, window.end])
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def bucket_seconds(by: str) -> int:
    if by not in BUCKETS:
        raise UserError(f"--by {by!r}: expected one of {', '.join(BUCKETS)}")
    return BUCKETS[by]


def timeseries(
    data: pd.DataFrame | Path | Sequence[Path],
    by: str,
    *,
    service: str | None = None,
    window: Window | None = None,
    quantile_intervals: bool = False,
) -> tuple[pd.DataFrame, RowsReport]:
    """Per (service, version, bucket): n, errors, error rate (Wilson), cost, latency, quality.

    ``data`` is a canonical DataFrame or Parquet file(s) in the canonical layout. With
    ``quantile_intervals`` each latency quantile also gets its order-statistic interval
    (``latency_p95_ms_low`` / ``_high``), at the price of a second, cheap pass and keeping
    each bucket's sorted latencies.
    """
    seconds = bucket_seconds(by)
    con = _connect()
    try:
        if isinstance(data, pd.DataFrame):
            con.register("metrics", data)
            relation = "metrics"
        else:
            paths = [str(data)] if isinstance(data, Path) else [str(p) for p in data]
            relation = "read_parquet(" + repr(paths) + ")"
        where, params = _where(service, window)
        if quantile_intervals:
            con.register("ranks", _ranks(con, relation, seconds, where, params))
        query = _query(relation, seconds, where, ranked=quantile_intervals)
        raw = con.execute(query, params).df()
    except duckdb.Error as exc:
        raise UserError(f"cannot aggregate metrics: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return _finish(raw)


def _finish(raw: pd.DataFrame) -> tuple[pd.DataFrame, RowsReport]:
    report = RowsReport()
    rejected = raw.loc[raw["reason"] != 0]
    counts = rejected.groupby("reason")["n"].sum()
    for code, count in zip(counts.index.to_numpy(), counts.to_numpy(), strict=True):
        report.reject(_RULES[int(code) - 1][0], int(count))
    out = raw.loc[raw["reason"] == 0].reset_index(drop=True)
    report.accepted = int(out["n"].sum())
    n = out["n"].to_numpy(dtype="float64")
    errors = out["errors"].to_numpy(dtype="float64")
    rate, low, high = wilson_arrays(errors, n)
    frame = pd.DataFrame(
        {
            "service": out["service"],
            "version": out["version"],
            "bucket": out["bucket"],
            "n": out["n"].astype("int64"),
            "errors": out["errors"].astype("int64"),
            "error_rate": rate,
            "error_rate_low": low,
            "error_rate_high": high,
            "latency_p50_ms": out["p50"].to_numpy(dtype="float64"),
            "latency_p95_ms": out["p95"].to_numpy(dtype="float64"),
            "latency_p99_ms": out["p99"].to_numpy(dtype="float64"),
        }
    )
    if "p50_low" in out:
        for q, _p in _LEVELS:
            frame[f"latency_p{q}_ms_low"] = out[f"p{q}_low"].to_numpy(dtype="float64")
            frame[f"latency_p{q}_ms_high"] = out[f"p{q}_high"].to_numpy(dtype="float64")
    for name, mean, sd, count in (
        ("cost_per_request", "cost_mean", "cost_sd", out["cost_n"]),
        ("quality", "quality_mean", "quality_sd", out["quality_n"]),
    ):
        se = out[sd].to_numpy(dtype="float64") / np.sqrt(count.to_numpy(dtype="float64"))
        known = count.to_numpy(dtype="float64") == out["n"].to_numpy(dtype="float64")
        values = out[mean].to_numpy(dtype="float64")
        frame[name] = np.where(known, values, np.nan) if name == "cost_per_request" else values
        frame[f"{name}_low"] = frame[name] - Z95 * se
        frame[f"{name}_high"] = frame[name] + Z95 * se
    return frame, report
