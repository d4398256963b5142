"""Arrival times (seconds from the scenario's start) and the stable/canary split buckets.

Poisson arrivals with a piecewise-constant rate (base rate × hourly profile × bursts) are made
by the time transform: a unit-rate Poisson process on the cumulative intensity Λ(t), mapped back
through Λ⁻¹ (exact, since Λ is piecewise linear). Replay reads recorded timestamps instead.
"""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.
# ruff: noqa: TID253

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from simulator.scenario import Replay, Scenario, Spec

Floats = npt.NDArray[np.float64]


def rate_breakpoints(spec: Spec) -> tuple[Floats, Floats]:
    """Segment edges (seconds) and the arrival rate (req/s) on each segment."""
    assert spec.traffic.rate is not None
    edges = {0.0, spec.duration}
    if spec.traffic.profile is not None:
        first = 3600.0 - (spec.start.minute * 60 + spec.start.second + spec.start.microsecond / 1e6)
        edges.update(np.arange(first % 3600.0, spec.duration, 3600.0).tolist())
    for burst in spec.traffic.bursts:
        edges.update((burst.at, burst.at + burst.duration))
    grid = np.array(sorted(e for e in edges if 0.0 <= e <= spec.duration))
    return grid, rate_at(spec, grid[:-1])


def rate_at(spec: Spec, t: Floats) -> Floats:
    """The Poisson rate (req/s) in force at times ``t``."""
    assert spec.traffic.rate is not None
    rate = np.full(t.shape, spec.traffic.rate, dtype=np.float64)
    if spec.traffic.profile is not None:
        hours = (spec.start.hour + (spec.start.minute * 60 + spec.start.second + t) // 3600) % 24
        rate *= np.asarray(spec.traffic.profile)[hours.astype(np.int64)]
    for burst in spec.traffic.bursts:
        rate *= np.where((t >= burst.at) & (t < burst.at + burst.duration), burst.multiplier, 1.0)
    return rate


def poisson_arrivals(spec: Spec, rng: np.random.Generator) -> Floats:
    """Sorted arrival times of the non-homogeneous Poisson process (time transform, O(n))."""
    grid, rates = rate_breakpoints(spec)
    cum = np.concatenate(([0.0], np.cumsum(rates * np.diff(grid))))
    n = int(rng.poisson(cum[-1]))
    # n points uniform on [0, Λ(T)) given their count, sorted: a Poisson process on Λ.
    points = rng.exponential(1.0, n + 1)
    np.cumsum(points, out=points)
    scaled = points[:n]
    scaled *= cum[-1] / points[n]
    return np.interp(scaled, cum, grid)


def replay_arrivals(scenario: Scenario) -> Floats:
    """Recorded timestamps as offsets from the start (shifted so the first is at 0 if asked)."""
    spec = scenario.spec
    replay = spec.traffic.replay
    assert replay is not None
    stamps = _replay_stamps(replay, scenario._base_dir)
    start = pd.Timestamp(spec.start)
    ns = (stamps.sort_values() - (stamps.min() if replay.shift else start)).asi8
    t = np.asarray(ns, dtype=np.float64) / 1e9
    return t[(t >= 0) & (t < spec.duration)]


def _replay_stamps(replay: Replay, base_dir: str) -> pd.DatetimeIndex:
    values: list[datetime] | list[str]
    if replay.timestamps is not None:
        values = list(replay.timestamps)
    else:
        assert replay.file is not None
        path = Path(base_dir) / replay.file
        if path.suffix == ".csv":
            values = [str(v) for v in pd.read_csv(path)["timestamp"]]
        else:
            values = [s.strip() for s in path.read_text().splitlines() if s.strip()]
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True, format="ISO8601")).as_unit("ns")


def arrivals(scenario: Scenario, rng: np.random.Generator) -> Floats:
    """The scenario's arrival times in seconds from its start, sorted."""
    if scenario.spec.traffic.replay is not None:
        return replay_arrivals(scenario)
    return poisson_arrivals(scenario.spec, rng)


def split_buckets(
    n: int, method: str, users: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], Floats]:
    """Per-request user keys (sticky only) and a bucket in [0, 1): canary iff bucket < weight/100.

    ``random`` draws the bucket per request; ``sticky`` hashes the user key, so a user always
    lands in the same variant for a given weight.
    """
    if method == "random":
        return np.zeros(0, dtype=np.int64), rng.random(n)
    keys = rng.integers(0, users, n, dtype=np.int64)
    return keys, _splitmix64(keys.astype(np.uint64)).astype(np.float64) / 2.0**64


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
