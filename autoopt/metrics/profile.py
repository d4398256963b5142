"""How each model behaved in the metrics, for the predictor in :mod:`autoopt.decide`.

Latency is fitted per model by least squares on successful rows:
``latency_ms − ttft_ms = overhead_ms + ms_per_token · tokens_out`` when ``ttft_ms`` is
measured (``ttft_ms`` is then its mean); without ``ttft_ms`` the fit is
``latency_ms = overhead_ms + ms_per_token · tokens_out`` and ``ttft_ms`` is reported as an
exact 0 whose time is inside ``overhead_ms`` (the sum, which is what predictions use, is right).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from autoopt.metrics.stats import mean_estimate
from autoopt.values import QUANTILE_GRID, Z95, Estimate, ModelProfile

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


def _truncated_at(rows: pd.DataFrame) -> int | None:
    """The max_tokens outputs were cut at: from ``truncated`` flags, else a pile-up at the max."""
    tokens = rows["tokens_out"].to_numpy(dtype="float64")
    flags = rows["truncated"].fillna(False).to_numpy(dtype=bool)
    if flags.any():
        return int(np.nanmax(tokens[flags]))
    if "max_tokens" in rows and rows["max_tokens"].notna().any():
        limit = float(rows["max_tokens"].max())
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


def profile_model(model: str, rows: pd.DataFrame, days: float) -> ModelProfile:
    ok = rows.loc[~rows["error"].to_numpy(dtype=bool)]
    latency = ok["latency_ms"].to_numpy(dtype="float64")
    tokens_out = ok["tokens_out"].to_numpy(dtype="float64")
    ttft = ok["ttft_ms"].to_numpy(dtype="float64")
    has_ttft = bool((~np.isnan(ttft)).any())
    usable = ~np.isnan(tokens_out) & (~np.isnan(ttft) if has_ttft else True)
    target = latency - ttft if has_ttft else latency
    overhead, per_token, sd = _ols(tokens_out[usable], target[usable])
    ttft_estimate = (mean_estimate(ttft) if has_ttft else None) or Estimate.exact(0.0)
    return ModelProfile(
        model=model,
        n=len(rows),
        errors=int(rows["error"].sum()),
        ttft_ms=ttft_estimate,
        ms_per_token=per_token,
        overhead_ms=overhead,
        latency_residual_sd=sd,
        tokens_in=_grid(ok["tokens_in"].to_numpy(dtype="float64")),
        tokens_out=_grid(tokens_out),
        truncated_at=_truncated_at(ok),
        quality=mean_estimate(rows["quality"].to_numpy(dtype="float64")),
        requests_per_day=len(rows) / days,
    )


def profile_models(frame: pd.DataFrame) -> dict[str, ModelProfile]:
    """One :class:`ModelProfile` per model in the canonical table."""
    if frame.empty:
        return {}
    span = (frame["timestamp"].max() - frame["timestamp"].min()).total_seconds()
    days = max(span, 60.0) / _DAY
    return {
        str(model): profile_model(str(model), rows, days)
        for model, rows in frame.groupby("model", sort=True)
    }
