"""How each model behaved in the metrics, for the predictor in :mod:`autoopt.decide`.

Latency is fitted per model by least squares on successful rows:
``latency_ms − ttft_ms = overhead_ms + ms_per_token · tokens_out`` when ``ttft_ms`` is
measured (``ttft_ms`` is then its mean); without ``ttft_ms`` the fit is
``latency_ms = overhead_ms + ms_per_token · tokens_out`` and ``ttft_ms`` is reported as an
exact 0 whose time is inside ``overhead_ms`` (the sum, which is what predictions use, is right).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from autoopt.metrics.stats import mean_estimate
from autoopt.values import QUANTILE_GRID, Z95, Estimate, ModelProfile

if TYPE_CHECKING:
    import pandas as pd

_DAY = 86400.0
_MIN_TRUNCATED_SHARE = 0.005


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[Estimate, Estimate, float]:
    """Intercept and slope of ``y ~ x`` with their standard errors, and the residual sd."""
    n = x.size
    if n == 0:
        nan = Estimate(math.nan, math.nan, math.nan, math.inf)
        return nan, nan, math.nan
    if n < 3 or float(np.var(x)) == 0.0:
        centre = float(np.mean(y))
        sd = float(np.std(y, ddof=1)) if n > 1 else 0.0
        se = sd / math.sqrt(n) if n > 1 else math.inf
        return _est(centre, se), Estimate.exact(0.0), sd
    design = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma2 = float(residual @ residual) / (n - 2)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    return (
        _est(float(coef[0]), math.sqrt(cov[0, 0])),
        _est(float(coef[1]), math.sqrt(cov[1, 1])),
        math.sqrt(sigma2),
    )


def _est(value: float, se: float) -> Estimate:
    return Estimate(value, value - Z95 * se, value + Z95 * se, se)


def _grid(values: np.ndarray) -> tuple[float, ...]:
    data = values[~np.isnan(values)]
    if data.size == 0:
        return ()
    return tuple(float(v) for v in np.quantile(data, QUANTILE_GRID))


def _truncated_at(ok: Columns) -> int | None:
    """The max_tokens outputs were cut at: from ``truncated`` flags, else a pile-up at the max."""
    tokens = np.asarray(ok["tokens_out"], dtype="float64")
    flags = np.asarray(ok.get("truncated", np.zeros(tokens.size, dtype=bool)), dtype=bool)
    if flags.any():
        return int(np.nanmax(tokens[flags]))
    limits = np.asarray(ok.get("max_tokens", np.empty(0)), dtype="float64")
    limits = limits[~np.isnan(limits)]
    if limits.size:
        limit = float(limits.max())
        if np.mean(tokens >= limit) >= _MIN_TRUNCATED_SHARE:
            return int(limit)
    return _pile_up(tokens[~np.isnan(tokens)])


def _pile_up(tokens: np.ndarray) -> int | None:
    """The largest output length when far more outputs end there than just below it."""
    if tokens.size == 0:
        return None
    top = float(tokens.max())
    at_top = int(np.sum(tokens == top))
    below = tokens[(tokens >= 0.9 * top) & (tokens < top)]
    per_value = below.size / max(len(np.unique(below)), 1)
    if at_top >= max(5, _MIN_TRUNCATED_SHARE * tokens.size) and at_top >= 5 * per_value:
        return int(top)
    return None


#: What :func:`profile_model` reads of one model's rows: numpy arrays of equal length
#: (``truncated`` and ``max_tokens`` may be absent).
Columns = Mapping[str, Any]
PROFILED = ("error", "latency_ms", "ttft_ms", "tokens_in", "tokens_out", "quality")


def profile_model(model: str, rows: Columns, days: float) -> ModelProfile:
    """The profile of one model from its rows' columns over ``days`` of traffic."""
    errors = np.asarray(rows["error"], dtype=bool)
    ok = {name: np.asarray(values)[~errors] for name, values in rows.items()}
    latency = np.asarray(ok["latency_ms"], dtype="float64")
    tokens_out = np.asarray(ok["tokens_out"], dtype="float64")
    ttft = np.asarray(ok["ttft_ms"], dtype="float64")
    has_ttft = bool((~np.isnan(ttft)).any())
    usable = ~np.isnan(tokens_out) & (~np.isnan(ttft) if has_ttft else True)
    target = latency - ttft if has_ttft else latency
    overhead, per_token, sd = _ols(tokens_out[usable], target[usable])
    ttft_estimate = (mean_estimate(ttft) if has_ttft else None) or Estimate.exact(0.0)
    return ModelProfile(
        model=model,
        n=int(errors.size),
        errors=int(errors.sum()),
        ttft_ms=ttft_estimate,
        ms_per_token=per_token,
        overhead_ms=overhead,
        latency_residual_sd=sd,
        tokens_in=_grid(np.asarray(ok["tokens_in"], dtype="float64")),
        tokens_out=_grid(tokens_out),
        truncated_at=_truncated_at(ok),
        quality=mean_estimate(np.asarray(rows["quality"], dtype="float64")),
        requests_per_day=errors.size / days,
    )


def profile_models(frame: pd.DataFrame) -> dict[str, ModelProfile]:
    """One :class:`ModelProfile` per model in the canonical table."""
    if frame.empty:
        return {}
    span = (frame["timestamp"].max() - frame["timestamp"].min()).total_seconds()
    days = max(span, 60.0) / _DAY
    out = {}
    for model, rows in frame.groupby("model", sort=True):
        columns = {c: rows[c].to_numpy(dtype=bool if c == "error" else float) for c in PROFILED}
        if "truncated" in rows:
            columns["truncated"] = rows["truncated"].fillna(False).to_numpy(dtype=bool)
        if "max_tokens" in rows:
            columns["max_tokens"] = rows["max_tokens"].to_numpy(dtype="float64")
        out[str(model)] = profile_model(str(model), columns, days)
    return out
