"""Model profiles for the predictor from aggregates (one instant query per quantity).

Counters and a latency histogram cannot give what per-request rows give, and the profile
says so rather than inventing it: the token distributions are known only by their means
(a one-point grid at the mean), latency is not split into time to first token and time per
token (``ms_per_token`` is an exact 0, the mean latency is the overhead, the residual spread
comes from the histogram), and truncation at ``max_tokens`` cannot be seen.
"""

from __future__ import annotations

import math

import numpy as np

from autoopt.metrics import promlayout as L
from autoopt.metrics.promhttp import PromClient
from autoopt.metrics.promread import Grid, Oddities, vector
from autoopt.metrics.promstats import merge_buckets, per_bucket
from autoopt.values import QUANTILE_GRID, Estimate, ModelProfile

_DAY = 86400.0


def profiles(
    client: PromClient,
    layout: L.Layout,
    service: str,
    grid: Grid,
) -> dict[str, ModelProfile]:
    """One profile per model the service's requests used in the window."""
    span, at, odd = grid.delta * grid.k, grid.end, Oddities()
    by = [layout.model]

    def total(series: L.Series | None) -> dict[str, float]:
        if series is None:
            return {}
        query = _by_model(layout, series, service, span)
        return {k[0]: v for k, v in vector(client, query, at, by, series.metric, odd).items()}

    requests = total(layout.requests)
    if not any(v > 0 for v in requests.values()):
        return {}
    errors = total(layout.errors)
    tokens_in, tokens_out = total(layout.tokens_in), total(layout.tokens_out)
    lat_sum = total(L.Series(f"{layout.latency}_sum"))
    lat_count = total(L.Series(f"{layout.latency}_count"))
    q_sum = total(L.Series(f"{layout.quality}_sum")) if layout.quality else {}
    q_count = total(L.Series(f"{layout.quality}_count")) if layout.quality else {}
    bucket_series = L.Series(f"{layout.latency}_bucket")
    bucket_query = _by_model(layout, bucket_series, service, span).replace(
        f"sum by ({layout.model})", f"sum by ({layout.model}, le)", 1
    )
    buckets: dict[str, dict[float, float]] = {}
    for key, value in vector(client, bucket_query, at, [layout.model, "le"], "le", odd).items():
        target = buckets.setdefault(key[0], {})
        for bound, count in merge_buckets([(key[1], value)]).items():
            target[bound] = target.get(bound, 0.0) + count
    days = span / _DAY
    out = {}
    for model, n in sorted(requests.items()):
        if n <= 0:
            continue
        count = lat_count.get(model, 0.0)
        mean_ms = 1000 * lat_sum.get(model, 0.0) / count if count > 0 else math.nan
        quality = None
        if q_count.get(model, 0.0) > 0:
            quality = Estimate.exact(q_sum[model] / q_count[model])
        out[model] = ModelProfile(
            model=model,
            n=round(n),
            errors=min(round(errors.get(model, 0.0)), round(n)),
            ttft_ms=Estimate.exact(0.0),
            ms_per_token=Estimate.exact(0.0),
            overhead_ms=Estimate.exact(mean_ms),
            latency_residual_sd=_spread(buckets.get(model)),
            tokens_in=_flat(tokens_in.get(model), n),
            tokens_out=_flat(tokens_out.get(model), n),
            truncated_at=None,
            quality=quality,
            requests_per_day=n / days,
        )
    return out


def _by_model(layout: L.Layout, series: L.Series, service: str, span: float) -> str:
    inner = f"increase({L.selector(layout, series, [service])}[{L.seconds(span)}])"
    return f"sum by ({layout.model}) ({inner})"


def _flat(total: float | None, n: float) -> tuple[float, ...]:
    """A distribution known only by its mean: every grid point at the mean."""
    if total is None or n <= 0:
        return ()
    return (total / n,) * len(QUANTILE_GRID)


def _spread(cumulative: dict[float, float] | None) -> float:
    """The latency sd (ms) from bucket midpoints (the open top bucket at its lower bound)."""
    if not cumulative:
        return math.nan
    bounds, counts = per_bucket(cumulative)
    if counts.sum() < 2:
        return math.nan
    lows = np.array([0.0, *bounds[:-1]])
    highs = np.array([b if math.isfinite(b) else lo for b, lo in zip(bounds, lows, strict=True)])
    mids = 1000 * (lows + highs) / 2
    mean = float(np.average(mids, weights=counts))
    return float(math.sqrt(np.average((mids - mean) ** 2, weights=counts)))
