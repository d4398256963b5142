"""Per-bucket aggregates of the canonical metrics table, by DuckDB, and the series built on them.

One query groups every (service, version, model, bucket) into mergeable sums (counts, sums
and sums of squares), a second takes each (service, bucket)'s latency quantiles over all its
rows (``quantile_disc``, the summaries' definition: errors included). Everything else — error
rate, means, model share, spend — is derived from the sums, so a source that aggregates
elsewhere (PromQL) can hand over the same table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from autoopt.analyze.budget import Spend
from autoopt.analyze.series import Sample, Series
from autoopt.analyze.significance import Moments
from autoopt.errors import MetricsError
from autoopt.values import Z95, Window

_SUMS = ("cost", "quality", "tokens_in", "tokens_out")
_COLUMNS = {
    "cost": "cost_usd",
    "quality": "quality",
    "tokens_in": "tokens_in",
    "tokens_out": "tokens_out",
}

#: the series every analysis builds, and the column of sums it comes from
MEAN_SERIES = {
    "cost_per_request": "cost",
    "quality": "quality",
    "tokens_in_mean": "tokens_in",
    "tokens_out_mean": "tokens_out",
}


def _sums_query(seconds: int, where: str) -> str:
    sums = ",\n  ".join(
        f"count({c}) AS {k}_n, sum({c}) AS {k}_sum, sum({c} * {c}) AS {k}_sumsq"
        for k, c in _COLUMNS.items()
    )
    return f"""
SELECT service, version, coalesce(model, '') AS model,
  epoch(time_bucket(INTERVAL '{seconds} seconds', "timestamp")) AS bucket,
  count(*) AS n, sum(CAST(error AS INTEGER)) AS errors,
  {sums}
FROM metrics {where} GROUP BY ALL ORDER BY service, bucket"""


def _quantile_query(seconds: int, where: str) -> str:
    return f"""
SELECT service, epoch(time_bucket(INTERVAL '{seconds} seconds', "timestamp")) AS bucket,
  count(*) AS n, quantile_disc(latency_ms, [0.5, 0.95, 0.99]) AS q
FROM metrics {where} GROUP BY ALL ORDER BY service, bucket"""


@dataclass(frozen=True)
class Buckets:
    """The per-bucket table of every service: sums by (service, version, model, bucket),
    latency quantiles by (service, bucket)."""

    sums: pd.DataFrame
    quantiles: pd.DataFrame
    step: float
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def services(self) -> list[str]:
        return sorted(self.sums["service"].unique().tolist()) if len(self.sums) else []

    def sums_of(self, service: str) -> pd.DataFrame:
        """One service's rows of ``sums`` (split once, on first use)."""
        if "sums" not in self._cache:
            groups = self.sums.groupby("service", sort=False)
            self._cache["sums"] = {str(k): v for k, v in groups} if len(self.sums) else {}
        found: pd.DataFrame = self._cache["sums"].get(service, self.sums.iloc[0:0])
        return found

    def totals_of(self, service: str) -> Columns:
        """Per bucket, the sums over all versions and models: column → array."""
        if "totals" not in self._cache:
            numeric = self.sums.drop(columns=["version", "model"])
            table = numeric.groupby(["service", "bucket"], sort=True).sum().reset_index()
            self._cache["totals"] = _by_service(table)
        return self._cache["totals"].get(service, {})  # type: ignore[no-any-return]

    def quantiles_of(self, service: str) -> Columns:
        if "quantiles" not in self._cache:
            self._cache["quantiles"] = _by_service(
                self.quantiles.sort_values(["service", "bucket"])
            )
        return self._cache["quantiles"].get(service, {})  # type: ignore[no-any-return]

    def models_of(self, service: str) -> dict[str, Columns]:
        """Per model, its requests per bucket."""
        if "models" not in self._cache:
            keys = ["service", "model", "bucket"]
            table = self.sums.groupby(keys, sort=True)["n"].sum().reset_index()
            per: dict[str, dict[str, Columns]] = {}
            for name, columns in _by_service(table).items():
                models = columns["model"]
                per[name] = {
                    str(m): {k: v[models == m] for k, v in columns.items()}
                    for m in np.unique(models)
                }
            self._cache["models"] = per
        return self._cache["models"].get(service, {})  # type: ignore[no-any-return]


Columns = dict[str, np.ndarray]


def _by_service(table: pd.DataFrame) -> dict[str, Columns]:
    """Split a table sorted by service into per-service column arrays (one pass)."""
    if len(table) == 0:
        return {}
    names = table["service"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.concatenate([[True], names[1:] != names[:-1]]))
    ends = np.append(starts[1:], names.size)
    columns = {c: table[c].to_numpy() for c in table.columns if c != "service"}
    return {
        str(names[a]): {c: v[a:b] for c, v in columns.items()}
        for a, b in zip(starts, ends, strict=True)
    }


def aggregate(
    frame: pd.DataFrame,
    step: float,
    window: Window | None = None,
    services: Iterable[str] | None = None,
) -> Buckets:
    """Bucket ``frame`` (the canonical table) into ``step``-second buckets inside ``window``."""
    seconds = max(int(step), 1)
    clauses: list[str] = []
    params: list[object] = []
    if window is not None:
        clauses.append('"timestamp" >= ? AND "timestamp" < ?')
        params += [window.start, window.end]
    wanted = sorted(set(services)) if services is not None else None
    if wanted is not None:
        clauses.append("service IN (SELECT unnest(?::VARCHAR[]))")
        params.append(wanted)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("metrics", frame)
        sums = con.execute(_sums_query(seconds, where), params).df()
        quantiles = con.execute(_quantile_query(seconds, where), params).df()
    except duckdb.Error as exc:
        raise MetricsError(f"cannot aggregate metrics: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    q = (
        np.array(quantiles["q"].tolist(), dtype="float64").reshape(-1, 3)
        if len(quantiles)
        else np.zeros((0, 3))
    )
    quantiles = quantiles.drop(columns=["q"]).assign(p50=q[:, 0], p95=q[:, 1], p99=q[:, 2])
    return Buckets(sums, quantiles, float(seconds))


def _grid(start: float, end: float, step: float) -> np.ndarray:
    first = math.floor(start / step) * step
    return np.arange(first, end, step, dtype="float64")


def _on_grid(grid: np.ndarray, times: np.ndarray, values: np.ndarray, fill: float) -> np.ndarray:
    out = np.full(grid.size, fill, dtype="float64")
    index = np.searchsorted(grid, times)
    ok = (index < grid.size) & (grid[np.minimum(index, grid.size - 1)] == times)
    out[index[ok]] = values[ok]
    return out


def service_series(buckets: Buckets, service: str, window: Window) -> dict[str, Series]:
    """Every series of one service over ``window`` (all versions together), on a full grid:
    a bucket without requests has ``n = 0`` and NaN values."""
    step = buckets.step
    grid = _grid(window.start.timestamp(), window.end.timestamp(), step)
    totals = buckets.totals_of(service)
    times = totals.get("bucket", np.array([], dtype="float64")).astype("float64")

    def col(name: str) -> np.ndarray:
        values = totals.get(name, np.array([], dtype="float64")).astype("float64")
        return _on_grid(grid, times, values, 0.0)

    n = col("n")
    out: dict[str, Series] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, col("errors") / n, np.nan)
        half = Z95 * np.sqrt(rate * (1 - rate) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
        out["error_rate"] = Series.build("error_rate", grid, rate, n, step, half / Z95)
        for name, key in MEAN_SERIES.items():
            count, total, sumsq = col(f"{key}_n"), col(f"{key}_sum"), col(f"{key}_sumsq")
            mean = np.where(count > 0, total / count, np.nan)
            var = np.maximum(sumsq / count - mean * mean, 0.0) * count / np.maximum(count - 1, 1)
            out[name] = Series.build(name, grid, mean, count, step, np.sqrt(var / count))
        out["requests"] = Series.build("requests", grid, n, n, step, np.sqrt(n))
        cost = col("cost_sum")
        out["cost_usd"] = Series.build("cost_usd", grid, cost, n, step, np.sqrt(col("cost_sumsq")))
    q = buckets.quantiles_of(service)
    qt = q.get("bucket", np.array([], dtype="float64")).astype("float64")
    for level in ("p50", "p95", "p99"):
        values = _on_grid(grid, qt, q.get(level, np.array([])).astype("float64"), np.nan)
        name = f"latency_{level}_ms"
        out[name] = Series.build(name, grid, values, n, step)
    return out


def model_shares(buckets: Buckets, service: str, window: Window) -> dict[str, Series]:
    """Each model's share of the service's requests, per bucket (``model_share:<model>``)."""
    grid = _grid(window.start.timestamp(), window.end.timestamp(), buckets.step)
    totals = buckets.totals_of(service)
    times = totals.get("bucket", np.array([])).astype("float64")
    n = _on_grid(grid, times, totals.get("n", np.array([])).astype("float64"), 0.0)
    out = {}
    for model, columns in buckets.models_of(service).items():
        counts = _on_grid(
            grid, columns["bucket"].astype("float64"), columns["n"].astype("float64"), 0.0
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, counts / n, np.nan)
            se = np.sqrt(share * (1 - share) / n)
        name = f"model_share:{model or 'unknown'}"
        out[name] = Series.build(name, grid, share, n, buckets.step, se)
    return out


def traffic(requests: Series) -> Series | None:
    """Requests per bucket relative to the same hour of day's median, so a daily rhythm is
    neither an anomaly nor a drift; None without two days of hourly (or finer) buckets."""
    day = 86400.0
    if requests.step > 3600 or len(requests) * requests.step < 2 * day:
        return None
    hours = ((requests.times % day) // 3600).astype("int64")
    typical = np.ones(24)
    for hour in range(24):
        values = requests.values[(hours == hour) & (requests.n > 0)]
        if values.size and np.median(values) > 0:
            typical[hour] = float(np.median(values))
    ratio = requests.values / typical[hours]
    noise = np.sqrt(np.maximum(requests.values, 1.0)) / typical[hours]  # Poisson counts
    return Series.build("traffic", requests.times, ratio, requests.n, requests.step, noise)


def spend(series: Mapping[str, Series], buckets: Buckets, service: str) -> Spend:
    cost = series["cost_usd"]
    totals = buckets.totals_of(service)
    times = totals.get("bucket", np.array([])).astype("float64")
    sumsq = _on_grid(
        cost.times, times, totals.get("cost_sumsq", np.array([])).astype("float64"), 0.0
    )
    return Spend(cost.times, np.nan_to_num(cost.values), sumsq, cost.step)


def sample(
    rows: pd.DataFrame, label: str, start: float, end: float, version: str | None = None
) -> Sample:
    """The requests of ``rows`` in ``[start, end)`` (of one version, when given)."""
    stamps = rows["timestamp"].to_numpy(dtype="datetime64[us]").astype("int64") / 1e6
    mask = (stamps >= start) & (stamps < end)
    if version is not None:
        mask &= (rows["version"] == version).to_numpy()
    picked = rows.loc[mask]
    failed = picked["error"].to_numpy(dtype=bool)
    means = {
        name: Moments.of(picked[_COLUMNS[key]].to_numpy(dtype="float64"))
        for name, key in MEAN_SERIES.items()
        if _COLUMNS[key] in picked.columns
    }
    latencies = picked["latency_ms"].to_numpy(dtype="float64")
    return Sample(label, start, end, len(picked), int(failed.sum()), latencies, means)
