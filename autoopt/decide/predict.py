"""Predict the metrics of a configuration production has not run, each with an interval.

The performance model (docs/decide.md, "Predictor"):

* **tokens**: the model's observed token quantiles; ``max_tokens`` cuts the output
  distribution at that value. When the observed outputs were themselves cut at a smaller
  ``truncated_at``, what lies beyond is unknown: the prediction takes the midpoint between
  "nothing beyond the old cap" and "everything at the old cap runs to the new one", and the
  interval spans both. A model with no profile (or no token data) is assumed to read and
  write the same tokens as the current model (the same prompts), and says so in a note.
  Predictions a degenerate fit made meaningless (NaN) are left out, never passed on.
* **cost** = mean input tokens × input price + mean output tokens × output price.
* **latency** per request = overhead + time to first token + ms per token × output tokens +
  a normal residual; p50/p95/p99 are quantiles of that mixture, computed on a fixed grid (no
  random numbers). The interval adds the fitted parameters' standard errors.
* **error rate** = the model's errors / requests, with its exact interval; it carries the
  requests as ``trials``, so its risk is the exact binomial tail, as for a measured rate.
* **quality** only from the model's measured quality or a ``priors:`` entry; without either
  it is absent and the point "needs evaluation". Measured quality is not carried over to a
  ``max_tokens`` that would cut more than 1% of the outputs observed.

Temperature, top_p and the other sampling params do not enter the model: cost and latency
depend on the model and ``max_tokens`` only.

**Calibration**: the caller predicts the current configuration too and scales every predicted
cost, latency and token metric by measured / predicted for it (:func:`calibration`), so a
point that differs from the current one only in unmodelled params predicts exactly what was
measured, and a misfit of the model does not show up as an improvement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from autoopt.probability import clopper_pearson
from autoopt.spec.models import MetricName, Prior
from autoopt.values import Z95, Estimate, ModelProfile, Price

Array = npt.NDArray[np.float64]

#: Standard normal quantiles at which the latency residual is integrated.
_RESIDUAL_Z = np.array([NormalDist().inv_cdf((k + 0.5) / 40) for k in range(40)])
#: Measured quality is carried over to a smaller ``max_tokens`` only if it cuts at most this
#: fraction of the outputs observed; beyond that the answers change and quality needs evidence.
MAX_CUT_FOR_QUALITY = 0.01
_MID = np.linspace(0.005, 0.995, 100)  # midpoints of the quantile grid cells


@dataclass(frozen=True)
class Prediction:
    metrics: Mapping[str, Estimate]
    notes: tuple[str, ...] = ()


def _tokens(quantiles: tuple[float, ...]) -> Array:
    """Equal-weight samples of a distribution kept as quantiles at 0, 0.01, …, 1."""
    grid = np.asarray(quantiles, dtype=np.float64)
    return np.interp(_MID, np.linspace(0.0, 1.0, len(grid)), grid)


def _output_bounds(profile: ModelProfile, max_tokens: int | None) -> tuple[Array, Array]:
    """Output-token samples under the low and the high reading of truncation."""
    out = _tokens(profile.tokens_out)
    cap = math.inf if max_tokens is None else float(max_tokens)
    low = np.minimum(out, cap)
    old = profile.truncated_at
    if old is None or cap <= old:
        return low, low
    high = np.where(out >= old, cap if math.isfinite(cap) else out, out)
    return low, np.minimum(high, cap)


def _mean_estimate(low: Array, high: Array, n: int) -> Estimate:
    lo, hi = float(low.mean()), float(high.mean())
    se = float(max(low.std(), high.std())) / math.sqrt(max(n, 1))
    return Estimate((lo + hi) / 2, lo - Z95 * se, hi + Z95 * se, se if lo == hi else None)


def _latency(profile: ModelProfile, low: Array, high: Array) -> dict[str, Estimate]:
    base = profile.overhead_ms.value + profile.ttft_ms.value
    per = profile.ms_per_token.value
    resid = profile.latency_residual_sd * _RESIDUAL_Z
    out: dict[str, Estimate] = {}
    for metric, q in (("latency_p50_ms", 0.50), ("latency_p95_ms", 0.95), ("latency_p99_ms", 0.99)):
        values = []
        for tokens in (low, high):
            mix = (base + per * tokens)[:, None] + resid[None, :]
            values.append(float(np.quantile(mix, q)))
        tokens_q = float(np.quantile(high, q))
        se = math.sqrt(
            profile.overhead_ms.stderr**2
            + profile.ttft_ms.stderr**2
            + (tokens_q * profile.ms_per_token.stderr) ** 2
        )
        lo, hi = values
        out[metric] = Estimate(
            (lo + hi) / 2, lo - Z95 * se, hi + Z95 * se, se if lo == hi else None
        )
    return out


def _error_rate(profile: ModelProfile) -> Estimate | None:
    if profile.n <= 0:
        return None
    p = profile.errors / profile.n
    se = math.sqrt(max(p * (1 - p), 0.25 / profile.n) / profile.n)
    low, high = clopper_pearson(profile.errors, profile.n)
    return Estimate(p, low, high, se, trials=profile.n)


def _cost(tokens_in: Estimate, tokens_out: Estimate, price: Price) -> Estimate:
    pin, pout = price.input_per_token, price.output_per_token
    value = pin * tokens_in.value + pout * tokens_out.value
    low = pin * tokens_in.low + pout * tokens_out.low
    high = pin * tokens_in.high + pout * tokens_out.high
    return Estimate(value, max(low, 0.0), high)


#: Metrics whose predictions are scaled by measured / predicted for the current configuration.
CALIBRATED = (
    "cost_per_request",
    "daily_cost_usd",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "tokens_out_mean",
)


def calibration(
    measured: Mapping[str, Estimate], predicted: Mapping[str, Estimate]
) -> dict[str, float]:
    """Per metric, measured / predicted for the current configuration (both positive)."""
    factors = {}
    for metric in CALIBRATED:
        seen, guess = measured.get(metric), predicted.get(metric)
        if seen is not None and guess is not None and seen.value > 0 and guess.value > 0:
            factors[metric] = seen.value / guess.value
    return factors


def calibrated(
    metrics: Mapping[str, Estimate], factors: Mapping[str, float]
) -> dict[str, Estimate]:
    return {name: _scaled(est, factors.get(name, 1.0)) for name, est in metrics.items()}


def _scaled(estimate: Estimate, factor: float) -> Estimate:
    return Estimate(
        estimate.value * factor,
        estimate.low * factor,
        estimate.high * factor,
        None if estimate.se is None else estimate.se * factor,
    )


def _from_prior(prior: Prior) -> Estimate:
    return Estimate(prior.mean, prior.mean - Z95 * prior.sd, prior.mean + Z95 * prior.sd, prior.sd)


def predict(
    params: Mapping[str, Any],
    *,
    profiles: Mapping[str, ModelProfile],
    prices: Mapping[str, Price],
    priors: Mapping[str, Mapping[MetricName, Prior]],
    fallback_model: str | None = None,
    requests_per_day: float | None = None,
) -> Prediction:
    """The predicted metrics of ``params``; metrics with no basis are left out."""
    model = str(params.get("model", fallback_model or ""))
    profile = profiles.get(model)
    notes: list[str] = []
    metrics: dict[str, Estimate] = {}
    source = profile
    if not _has_tokens(source) and fallback_model is not None:
        source = profiles.get(fallback_model)
        if _has_tokens(source):
            notes.append(f"{model}: no token metrics; tokens assumed as for {fallback_model}")
    if source is not None and _has_tokens(source):
        low, high = _output_bounds(source, _max_tokens(params))
        metrics.update(_cost_metrics(source, low, high, prices.get(model), requests_per_day))
        if "cost_per_request" not in metrics:
            notes.append(f"{model}: no price; cost not predicted")
        if profile is not None and _has_tokens(profile):
            metrics.update(_latency(profile, low, high))
    if profile is not None:
        metrics.update(_measured(profile, _max_tokens(params), notes))
    for metric, prior in priors.get(model, {}).items():
        metrics.setdefault(metric, _from_prior(prior))
    return Prediction(_finite(metrics), tuple(notes))


def _has_tokens(profile: ModelProfile | None) -> bool:
    return profile is not None and bool(profile.tokens_in) and bool(profile.tokens_out)


def _finite(metrics: Mapping[str, Estimate]) -> dict[str, Estimate]:
    """Drop predictions a degenerate fit made meaningless (NaN or infinite value)."""
    return {name: est for name, est in metrics.items() if math.isfinite(est.value)}


def _cost_metrics(
    source: ModelProfile,
    low: Array,
    high: Array,
    price: Price | None,
    requests_per_day: float | None,
) -> dict[str, Estimate]:
    tokens_out = _mean_estimate(low, high, source.n)
    tin = _tokens(source.tokens_in)
    out = {"tokens_out_mean": tokens_out}
    if price is not None:
        cost = _cost(_mean_estimate(tin, tin, source.n), tokens_out, price)
        out["cost_per_request"] = cost
        if requests_per_day is not None:
            out["daily_cost_usd"] = _scaled(cost, requests_per_day)
    return out


def _measured(
    profile: ModelProfile, max_tokens: int | None, notes: list[str]
) -> dict[str, Estimate]:
    """Error rate and quality straight from the model's history."""
    out = {}
    error_rate = _error_rate(profile)
    if error_rate is not None:
        out["error_rate"] = error_rate
    cut = _cut_fraction(profile, max_tokens)
    if profile.quality is not None and cut <= MAX_CUT_FOR_QUALITY:
        out["quality"] = profile.quality
    elif profile.quality is not None:
        notes.append(
            f"{profile.model}: max_tokens {max_tokens} cuts {cut:.0%} of observed outputs; "
            "measured quality not carried over"
        )
    return out


def _cut_fraction(profile: ModelProfile, max_tokens: int | None) -> float:
    if max_tokens is None:
        return 0.0
    return float(np.mean(_tokens(profile.tokens_out) > max_tokens))


def _max_tokens(params: Mapping[str, Any]) -> int | None:
    value = params.get("max_tokens")
    return None if value is None else int(value)
