"""From the canonical metrics table to what the canary judge reads.

:func:`observation` takes the canonical per-request DataFrame (see ``autoopt.metrics.table``),
keeps the rows of one service's stable and canary versions, and cuts them by rollout stage
(and optionally into fixed intervals inside each stage, for the threshold judge) into
:class:`~autoopt.values.Interval` values of per-arm sufficient statistics.

Pass every stage since the rollout started (stage index → time window): the sequential judge
treats the whole rollout as one test and needs the earlier stages to keep its error rates per
rollout. Passing only the current stage is allowed; the guarantee then holds per stage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from autoopt.errors import MetricsError
from autoopt.metrics.armsql import arm_of
from autoopt.values import ArmSample, Interval, StageObservation, Window

NEEDED = ("timestamp", "service", "version", "latency_ms", "error")


def stage_windows(starts: Sequence[datetime], now: datetime) -> dict[int, Window]:
    """Stage windows from the start time of each step so far (step 0 first) up to ``now``.

    ``starts[k]`` is when step ``k`` began (the ``step_started_at`` it had, e.g. read back from
    the config's history); the last window ends at ``now``.
    """
    ends = [*starts[1:], now]
    return {k: Window(start, end) for k, (start, end) in enumerate(zip(starts, ends, strict=True))}


def arm_sample(rows: pd.DataFrame) -> ArmSample:
    """The sufficient statistics of one arm: counts, latencies of successes, quality, cost."""
    return arm_of(
        rows["error"].to_numpy(dtype=bool),
        rows["latency_ms"].to_numpy(dtype="float64"),
        _column(rows, "quality"),
        _column(rows, "cost_usd"),
    )


def _column(rows: pd.DataFrame, name: str) -> np.ndarray:
    if name not in rows.columns:
        return np.empty(0)
    values: np.ndarray = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype="float64")
    kept: np.ndarray = values[np.isfinite(values)]
    return kept


def _check(frame: pd.DataFrame) -> None:
    missing = [c for c in NEEDED if c not in frame.columns]
    if missing:
        raise MetricsError(
            f"metrics table has no column {', '.join(missing)} (needed by the judge)"
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _cuts(window: Window, interval: timedelta | None) -> Iterator[Window]:
    window = Window(_utc(window.start), _utc(window.end))
    if interval is None or interval <= timedelta(0):
        yield window
        return
    start = window.start
    while start < window.end:
        end = min(start + interval, window.end)
        yield Window(start, end)
        start = end


def observation(
    frame: pd.DataFrame,
    *,
    service: str,
    stable: str,
    canary: str,
    stages: Mapping[int, Window],
    interval: timedelta | None = None,
) -> StageObservation:
    """Stable and canary of ``service`` in each stage window (cut into ``interval`` pieces).

    Windows are half-open ``[start, end)``; naive datetimes are taken as UTC. Intervals with
    no request on either arm are left out.
    """
    _check(frame)
    mine = frame[(frame["service"] == service) & frame["version"].isin([stable, canary])]
    columns = _Columns.of(mine, canary)
    found = []
    for stage in sorted(stages):
        for cut in _cuts(stages[stage], interval):
            inside = (columns.ns >= _ns(cut.start)) & (columns.ns < _ns(cut.end))
            if not inside.any():
                continue
            found.append(
                Interval(
                    stage=stage,
                    stable=columns.sample(inside & ~columns.canary),
                    canary=columns.sample(inside & columns.canary),
                )
            )
    return StageObservation(tuple(found))


def _ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).as_unit("ns").value)


@dataclass(frozen=True, eq=False)
class _Columns:
    """One service's rows as numpy arrays, in the table's order: the windows are cut with
    array masks, not DataFrame indexing (a thousand services × twenty one-minute cuts took
    most of a reconcile). The same values, in the same order, as :func:`arm_sample`."""

    ns: np.ndarray
    canary: np.ndarray
    errors: np.ndarray
    latency: np.ndarray
    quality: np.ndarray | None
    cost: np.ndarray | None

    @classmethod
    def of(cls, rows: pd.DataFrame, canary: str) -> _Columns:
        stamps = pd.DatetimeIndex(pd.to_datetime(rows["timestamp"], utc=True)).as_unit("ns")

        def numeric(name: str) -> np.ndarray | None:
            if name not in rows.columns:
                return None
            values: np.ndarray = pd.to_numeric(rows[name], errors="coerce").to_numpy(
                dtype="float64"
            )
            return values

        return cls(
            ns=stamps.asi8,
            canary=(rows["version"] == canary).to_numpy(dtype=bool),
            errors=rows["error"].to_numpy(dtype=bool),
            latency=rows["latency_ms"].to_numpy(dtype="float64"),
            quality=numeric("quality"),
            cost=numeric("cost_usd"),
        )

    def sample(self, chosen: np.ndarray) -> ArmSample:
        return arm_of(
            self.errors[chosen],
            self.latency[chosen],
            _finite(self.quality, chosen),
            _finite(self.cost, chosen),
        )


def _finite(values: np.ndarray | None, chosen: np.ndarray) -> np.ndarray:
    if values is None:
        return np.empty(0)
    picked = values[chosen]
    kept: np.ndarray = picked[np.isfinite(picked)]
    return kept
