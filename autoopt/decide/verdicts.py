"""The values of the canary judge: verdicts, looks and per-metric results (no statistics).

Split out of :mod:`autoopt.decide.judge`, which re-exports them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from autoopt.spec.models import Canary, Rollout
from autoopt.values import Reason


class Verdict(StrEnum):
    PROMOTE = "promote"
    HOLD = "hold"
    ROLLBACK = "rollback"


class Status(StrEnum):
    REGRESSION = "regression"
    NON_INFERIOR = "non_inferior"
    INCONCLUSIVE = "inconclusive"
    NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Look:
    """Which look this is: the stage, how long it has run and how long it may run."""

    step: int
    planned_looks: int
    elapsed: timedelta
    hold_time: timedelta
    max_stage_time: timedelta
    on_timeout: str = "rollback"  # "rollback" | "hold"

    @classmethod
    def of(cls, rollout: Rollout, step: int, elapsed: timedelta) -> Look:
        """The look at stage ``step`` of a strategy's rollout plan after ``elapsed``."""
        hold = rollout.durations[step] if step < len(rollout.durations) else timedelta(0)
        return cls(
            step=step,
            planned_looks=len(rollout.durations),
            elapsed=elapsed,
            hold_time=hold,
            max_stage_time=rollout.max_stage_time,
            on_timeout=rollout.on_timeout,
        )

    @classmethod
    def of_canary(cls, canary: Canary, rollout: Rollout, now: datetime) -> Look:
        """The look at a live canary's current step: its own durations, the strategy's limits."""
        hold = canary.durations[canary.step] if canary.step < len(canary.durations) else None
        return cls(
            step=canary.step,
            planned_looks=len(canary.durations),
            elapsed=now - canary.step_started_at,
            hold_time=hold if hold is not None else timedelta(0),
            max_stage_time=rollout.max_stage_time,
            on_timeout=rollout.on_timeout,
        )

    @property
    def timed_out(self) -> bool:
        return self.elapsed >= self.max_stage_time


@dataclass(frozen=True)
class MetricResult:
    """One metric at one look, in numbers (the regression scale and the users' scale)."""

    metric: str
    status: Status
    stable: float
    canary: float
    change: float  # the estimated change users read: +0.27 = 27% worse (points for errors)
    trigger: float
    rollback_at: float  # on the same scale as ``change``
    promote_at: float
    information_fraction: float
    #: "rollout": all stages so far; "stage": the current stage alone; "recent": the last
    #: ``intervals`` intervals of the current stage
    window: str = "rollout"
    intervals: int = 0  # how many intervals of the observation the estimate is made of

    def values(self) -> Mapping[str, float | int | str]:
        return MappingProxyType(
            {
                "metric": self.metric,
                "window": self.window,
                "intervals": self.intervals,
                "stable": _round(self.stable),
                "canary": _round(self.canary),
                "change": _round(self.change),
                "trigger": self.trigger,
                "rollback_at": _round(self.rollback_at),
                "promote_at": _round(self.promote_at),
                "information_fraction": _round(self.information_fraction),
            }
        )


@dataclass(frozen=True)
class StageVerdict:
    verdict: Verdict
    reasons: tuple[Reason, ...]
    method: str = "sequential"
    metrics: tuple[MetricResult, ...] = ()
    n_stable: int = 0
    n_canary: int = 0
    min_sample: int = 0

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


def _round(value: float) -> float:
    return float(f"{value:.6g}") if math.isfinite(value) else value
