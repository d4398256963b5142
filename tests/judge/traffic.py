"""Seeded per-request traffic for judging simulated rollouts (numpy only, no simulator).

Stable and canary draw from the same distributions unless the scenario shifts the canary:
``error_delta`` adds to the error probability; ``latency_factor`` multiplies every latency (so
the p95 too); ``quality_factor`` and ``cost_factor`` multiply every quality and cost value (so
the means too). ``onset_step`` and ``onset_minutes`` delay the shift to that time into that
stage (a regression that starts mid-rollout); the canary is healthy before. A rollout polls the judge every ``poll``
with all intervals so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from autoopt.decide.judge import Look, StageVerdict, Verdict
from autoopt.spec.models import StrategySpec
from autoopt.values import ArmSample, Interval, StageObservation

Judge = Callable[[StageObservation, StrategySpec, Look], StageVerdict]


@dataclass(frozen=True)
class Traffic:
    rate: float = 10.0  # requests per second, both arms together
    error: float = 0.02
    latency_median_ms: float = 800.0
    latency_sigma: float = 0.5
    quality_a: float = 8.0  # quality = 100 * Beta(a, b): mean 80
    quality_b: float = 2.0
    cost_shape: float = 2.0
    cost_mean: float = 0.002
    error_delta: float = 0.0
    latency_factor: float = 1.0
    quality_factor: float = 1.0
    cost_factor: float = 1.0
    latency_trend: float = 0.0  # both arms slow down by this factor per hour (a daily cycle)
    onset_step: int = 0  # the canary's shift starts with this stage (0: from the start) …
    onset_minutes: float = 0.0  # … this many minutes into it

    def healthy(self) -> Traffic:
        return replace(
            self, error_delta=0.0, latency_factor=1.0, quality_factor=1.0, cost_factor=1.0
        )


def arm(
    rng: np.random.Generator, n: int, t: Traffic, canary: bool, hours: float = 0.0
) -> ArmSample:
    p = t.error + (t.error_delta if canary else 0.0)
    failed = rng.random(n) < p
    ok = int(n - failed.sum())
    median = t.latency_median_ms * (1 + t.latency_trend) ** hours
    lat = median * np.exp(t.latency_sigma * rng.standard_normal(ok))
    quality = 100.0 * rng.beta(t.quality_a, t.quality_b, ok)
    cost = rng.gamma(t.cost_shape, t.cost_mean / t.cost_shape, n)
    if canary:
        lat *= t.latency_factor
        quality *= t.quality_factor
        cost *= t.cost_factor
    return ArmSample(
        n=n,
        errors=int(failed.sum()),
        latencies_ms=lat,
        quality_n=ok,
        quality_sum=float(quality.sum()),
        quality_sumsq=float((quality * quality).sum()),
        cost_n=n,
        cost_sum=float(cost.sum()),
        cost_sumsq=float((cost * cost).sum()),
    )


@dataclass(frozen=True)
class Outcome:
    result: str  # "promoted" | "rollback" | "timeout" (reverted after max stage time)
    seconds: float  # simulated time to the final verdict
    canary_requests: int
    looks: int
    codes: tuple[str, ...]
    onset_s: float | None = None  # when the canary's shift started (None: never reached)
    onset_looks: int = 0  # looks taken before the shift started

    @property
    def delay(self) -> tuple[float, int] | None:
        """Seconds and looks from the shift's onset to a rollback after it, else None."""
        if self.result == "promoted" or self.onset_s is None:
            return None
        return self.seconds - self.onset_s, self.looks - self.onset_looks


def rollout(
    judge: Judge,
    spec: StrategySpec,
    traffic: Traffic,
    rng: np.random.Generator,
    poll: timedelta = timedelta(minutes=1),
) -> Outcome:
    """Run one rollout to its end: full promotion, rollback or timeout revert."""
    intervals: list[Interval] = []
    clock, canary_n, looks = 0.0, 0, 0
    onset: tuple[float, int] | None = None
    for step, weight in enumerate(spec.rollout.steps[:-1]):
        elapsed = timedelta(0)
        while True:
            late = elapsed >= timedelta(minutes=traffic.onset_minutes)
            if onset is None and step >= traffic.onset_step and late:
                onset = clock, looks
            shifted = traffic if onset is not None else traffic.healthy()
            n = int(rng.poisson(traffic.rate * poll.total_seconds()))
            n_canary = int(rng.binomial(n, weight / 100))
            canary = arm(rng, n_canary, shifted, canary=True, hours=clock / 3600)
            stable = arm(rng, n - n_canary, traffic, canary=False, hours=clock / 3600)
            intervals.append(Interval(step, stable, canary))
            canary_n += n_canary
            elapsed += poll
            clock += poll.total_seconds()
            looks += 1
            found = judge(
                StageObservation(tuple(intervals)), spec, Look.of(spec.rollout, step, elapsed)
            )
            if found.verdict is Verdict.ROLLBACK:
                kind = "timeout" if "inconclusive_timeout" in found.codes else "rollback"
                return Outcome(kind, clock, canary_n, looks, found.codes, *(onset or (None, 0)))
            if found.verdict is Verdict.PROMOTE:
                break
    return Outcome("promoted", clock, canary_n, looks, (), *(onset or (None, 0)))
