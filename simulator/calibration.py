"""Fit a scenario to a canonical metrics table, so "what if" runs start from what was measured.

Per model: latency = ttft + per_token_ms × tokens_out, the per-token time fitted by least squares
of latency on tokens_out over successful requests and the ttft distribution taken as the
residuals (so queueing seen in the data is folded into ttft); error rate; quality; prices by
non-negative least squares of cost on tokens. Per service: token distributions (empirical,
with truncated outputs kept above max_tokens so truncation is reproduced) and the arrival
rate, with 24 hourly multipliers when the data covers every hour of the day.
"""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.
# ruff: noqa: TID253

from __future__ import annotations

from datetime import UTC
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from simulator.scenario import Scenario

_QUANTILES = 1000
Floats = npt.NDArray[np.float64]


def calibrate(frame: pd.DataFrame, *, service: str | None = None) -> Scenario:
    """A scenario whose simulation reproduces ``frame``'s summaries (one service's rows)."""
    rows = _service_rows(frame, service)
    start = rows["timestamp"].min().floor("s")
    end = rows["timestamp"].max().ceil("s") + pd.Timedelta(seconds=1)
    duration = (end - start).total_seconds()
    version, model = _primary(rows)
    ok = rows[~rows["error"]]
    max_tokens = _max_tokens(ok)
    spec: dict[str, Any] = {
        "service": str(rows["service"].iloc[0]),
        "start": start.to_pydatetime().astimezone(UTC),
        "duration": duration,
        "traffic": _traffic(rows, start, duration),
        "requests": {
            "tokens_in": _empirical(rows["tokens_in"].to_numpy(dtype=float)),
            "tokens_out": _empirical(_raw_tokens_out(ok, max_tokens)),
        },
        "variants": {
            "stable": {"version": version, "params": {"model": model, "max_tokens": max_tokens}}
        },
        "models": {str(m): _model(g) for m, g in rows.groupby("model", sort=True)},
    }
    data = {"apiVersion": "autoopt/v1", "kind": "Scenario",
            "metadata": {"name": f"calibrated-{spec['service']}"}, "spec": spec}  # fmt: skip
    return Scenario.model_validate(data)


def _service_rows(frame: pd.DataFrame, service: str | None) -> pd.DataFrame:
    if service is None:
        services = sorted(frame["service"].unique())
        if len(services) != 1:
            raise ValueError(f"the table holds several services ({', '.join(services)}); pick one")
        service = services[0]
    rows = frame[frame["service"] == service]
    if len(rows) < 2:
        raise ValueError(f"need at least two rows of service {service!r} to calibrate")
    return rows.sort_values("timestamp", kind="stable")


def _primary(rows: pd.DataFrame) -> tuple[str, str]:
    stable = rows[rows["variant"] == "stable"] if "variant" in rows else rows
    stable = stable if len(stable) else rows
    version = str(stable["version"].mode().iloc[0])
    model = str(stable.loc[stable["version"] == version, "model"].mode().iloc[0])
    return version, model


def _empirical(values: Floats) -> dict[str, Any]:
    """At most 1000 evenly spaced quantiles, sampled with replacement by the simulator."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"dist": "constant", "value": 0.0}
    k = min(values.size, _QUANTILES)
    points = np.quantile(values, (np.arange(k) + 0.5) / k)
    return {"dist": "empirical", "values": [max(float(v), 0.0) for v in points]}


def _max_tokens(ok: pd.DataFrame) -> int:
    truncated = ok.loc[ok["truncated"], "tokens_out"] if "truncated" in ok else ok.iloc[:0]
    if len(truncated):
        return int(truncated.to_numpy().max())
    return max(int(ok["tokens_out"].max()) if len(ok) else 1, 1) + 1


def _raw_tokens_out(ok: pd.DataFrame, max_tokens: int) -> Floats:
    out = ok["tokens_out"].to_numpy(dtype=float).copy()
    if "truncated" in ok:
        out[ok["truncated"].to_numpy(dtype=bool)] = max_tokens + 1
    return out


def _traffic(rows: pd.DataFrame, start: pd.Timestamp, duration: float) -> dict[str, Any]:
    rate = len(rows) / duration
    exposure = _hourly_exposure(start, duration)
    if exposure.min() < 1800:  # a profile needs at least half an hour of every hour of the day
        return {"rate": rate}
    offsets = (rows["timestamp"] - start).dt.total_seconds().to_numpy()
    hours = (start.hour + (start.minute * 60 + start.second + offsets) // 3600) % 24
    counts = np.bincount(hours.astype(np.int64), minlength=24)
    per_hour = counts / exposure
    mean = float(np.sum(per_hour * exposure) / np.sum(exposure))
    return {"rate": mean, "profile": [float(x) for x in per_hour / mean]}


def _hourly_exposure(start: pd.Timestamp, duration: float) -> Floats:
    """Seconds of the window [start, start + duration) that fall in each UTC hour of the day."""
    first = 3600.0 - (start.minute * 60 + start.second)
    edges = np.concatenate(([0.0], np.arange(first, duration, 3600.0), [duration]))
    edges = np.unique(edges)
    hours = (start.hour + (start.minute * 60 + start.second + edges[:-1]) // 3600) % 24
    exposure = np.bincount(hours.astype(np.int64), weights=np.diff(edges), minlength=24)
    return exposure.astype(np.float64)


def _model(g: pd.DataFrame) -> dict[str, Any]:
    ok = g[~g["error"]]
    tokens = ok["tokens_out"].to_numpy(dtype=float)
    latency = ok["latency_ms"].to_numpy(dtype=float)
    slope = 0.0
    if ok.shape[0] >= 3 and np.ptp(tokens) > 0:
        slope = max(float(np.polyfit(tokens, latency, 1)[0]), 0.0)
    residual = np.maximum(latency - slope * tokens, 1.0) if len(ok) else np.array([1.0])
    quality = ok["quality"].to_numpy(dtype=float) if "quality" in ok else np.zeros(0)
    return {
        "ttft_ms": _empirical(residual),
        "per_token_ms": slope,
        "error_rate": float(g["error"].mean()),
        "quality": _empirical(np.clip(quality, 0.0, 100.0)),
        "price": _prices(ok),
    }


def _prices(ok: pd.DataFrame) -> dict[str, float]:
    if "cost_usd" not in ok or not ok["cost_usd"].notna().any():
        return {"input_per_1k": 0.0, "output_per_1k": 0.0}
    from scipy.optimize import nnls

    rows = ok[ok["cost_usd"].notna()]
    x = rows[["tokens_in", "tokens_out"]].to_numpy(dtype=float) / 1000.0
    coef, _ = nnls(x, rows["cost_usd"].to_numpy(dtype=float))
    return {"input_per_1k": float(coef[0]), "output_per_1k": float(coef[1])}
