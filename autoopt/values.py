"""Frozen value types shared by ``metrics`` and ``decide``.

They carry numbers only: no pandas, no I/O, so ``decide`` can be tested with literal tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # only for annotations: values.py imports no heavy library at run time
    import numpy as np
    from numpy.typing import NDArray

Direction = Literal["lower", "higher"]

#: The metric names allowed in objectives, constraints, rules and reports, with the direction
#: in which they get better and a one-line meaning. Quality is 0–100 everywhere.
METRICS: Mapping[str, tuple[Direction, str]] = MappingProxyType(
    {
        "cost_per_request": ("lower", "mean cost of one request, USD"),
        "daily_cost_usd": ("lower", "projected cost per day at the observed request rate, USD"),
        "latency_p50_ms": ("lower", "median end-to-end latency, ms"),
        "latency_p95_ms": ("lower", "95th percentile end-to-end latency, ms"),
        "latency_p99_ms": ("lower", "99th percentile end-to-end latency, ms"),
        "ttft_p95_ms": ("lower", "95th percentile time to first token, ms"),
        "error_rate": ("lower", "fraction of requests that failed, 0–1"),
        "quality": ("higher", "mean quality score, 0–100"),
        "tokens_out_mean": ("lower", "mean output tokens per request"),
    }
)

#: Every metric name that may appear in a summary (the allowed ones plus a few extras that
#: rules may read).
SUMMARY_FIELDS: tuple[str, ...] = (*METRICS, "n", "requests_per_day")

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% interval; ``se`` is the standard error when known.

    ``trials`` is set for a proportion (``value`` = successes / trials): the gates then take
    the probability of breaking a bound from the exact binomial tail, not from ``se``.
    ``enough`` is False when the data is too small for an interval with its nominal coverage
    (a percentile or a skewed mean below its stated minimum n, docs/metrics.md): the interval
    shown is then only indicative, and the gates treat the metric as uncertain.
    """

    value: float
    low: float
    high: float
    se: float | None = None
    trials: int | None = None
    enough: bool = True

    @classmethod
    def exact(cls, value: float) -> Estimate:
        return cls(value, value, value, 0.0)

    @property
    def stderr(self) -> float:
        """The standard error, or one implied by the 95% interval under normality."""
        if self.se is not None:
            return self.se
        if math.isfinite(self.high) and math.isfinite(self.low):
            return max(self.high - self.low, 0.0) / (2 * Z95)
        return math.inf

    def as_dict(self) -> dict[str, float | bool]:
        out: dict[str, float | bool] = {"value": self.value, "low": self.low, "high": self.high}
        if not self.enough:
            out["enough"] = False
        return out


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Candidate:
    """A (service, version) and the params it ran with (empty when unknown)."""

    service: str
    version: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Summary:
    """What was measured for one candidate over one window.

    ``metrics`` maps names from :data:`METRICS` to estimates; a metric that could not be
    measured (no quality column, unknown price) is absent rather than zero.
    """

    candidate: Candidate
    n: int
    errors: int
    window: Window
    metrics: Mapping[str, Estimate]
    notes: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return self.candidate.version

    @property
    def service(self) -> str:
        return self.candidate.service

    def get(self, metric: str) -> Estimate | None:
        return self.metrics.get(metric)


@dataclass(frozen=True)
class Reason:
    """Why a decision or verdict came out as it did: a stable code, words, and the numbers.

    Codes are part of the public contract (commit trailers, JSON output, policy tests).
    """

    code: str
    message: str
    values: Mapping[str, float | int | str] = field(default_factory=lambda: MappingProxyType({}))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "values": dict(self.values)}


def version_id(params: Mapping[str, Any]) -> str:
    """A deterministic version name for a set of params: ``v-`` and 8 hex digits.

    The same params always give the same id, so re-running a proposal gives the same branch.
    """
    import hashlib
    import json

    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return "v-" + hashlib.sha256(canonical.encode()).hexdigest()[:8]


#: Quantile levels at which token distributions are kept in a ModelProfile.
QUANTILE_GRID: tuple[float, ...] = tuple(i / 100 for i in range(101))


@dataclass(frozen=True)
class ModelProfile:
    """How one model behaved in the metrics, for the predictor (fitted by ``metrics``).

    Latency is modelled as ``overhead + ttft + ms_per_token * tokens_out``; token
    distributions are kept as quantiles at :data:`QUANTILE_GRID`.
    """

    model: str
    n: int
    errors: int
    ttft_ms: Estimate
    ms_per_token: Estimate
    overhead_ms: Estimate
    latency_residual_sd: float
    tokens_in: tuple[float, ...]
    tokens_out: tuple[float, ...]
    truncated_at: int | None  # the max_tokens the observed outputs were cut at, if any
    quality: Estimate | None
    requests_per_day: float


@dataclass(frozen=True)
class Price:
    """USD per token, and where the number came from (catalog name and date, or override)."""

    input_per_token: float
    output_per_token: float
    source: str


@dataclass(frozen=True, eq=False)
class LatencyHistogram:
    """Latencies as bucket counts: the shape a Prometheus histogram (``le`` buckets) has.

    ``bounds_ms[i]`` is the inclusive upper bound of bucket ``i`` in milliseconds, strictly
    increasing; the last bound may be ``inf``. ``counts[i]`` is the number of requests that
    fell in bucket ``i`` (per bucket, not cumulative), so ``counts.sum()`` is the total.
    """

    bounds_ms: tuple[float, ...]
    counts: NDArray[np.int64]

    @property
    def total(self) -> int:
        return int(self.counts.sum())


@dataclass(frozen=True, eq=False)
class ArmSample:
    """Sufficient statistics of one arm (stable or canary) over one interval, for the judge.

    ``latencies_ms`` holds the latency of each successful request (any order); quality and
    cost are kept as count, sum and sum of squares over the requests that have them. A source
    that only has aggregated data (a PromQL backend) leaves ``latencies_ms`` empty and sets
    ``latency_hist`` to the successful requests' latency buckets instead; the judge then
    uses its binned tests, whose bucket bounds limit what it can resolve.
    """

    n: int
    errors: int
    latencies_ms: NDArray[np.float64]
    quality_n: int = 0
    quality_sum: float = 0.0
    quality_sumsq: float = 0.0
    cost_n: int = 0
    cost_sum: float = 0.0
    cost_sumsq: float = 0.0
    latency_hist: LatencyHistogram | None = None


@dataclass(frozen=True, eq=False)
class Interval:
    """Stable and canary over the same stretch of time, inside rollout stage ``stage``."""

    stage: int
    stable: ArmSample
    canary: ArmSample


@dataclass(frozen=True, eq=False)
class StageObservation:
    """What the judge sees: every interval since the rollout started, oldest first."""

    intervals: tuple[Interval, ...]
