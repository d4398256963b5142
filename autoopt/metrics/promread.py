"""Reading PromQL answers into arrays on a time grid, with every oddity counted.

A :class:`Grid` is ``k`` sub-intervals of length ``Δ`` ending at ``end``: a range query
``increase(x[Δ])`` with ``step = Δ`` from ``end − (k−1)·Δ`` to ``end`` gives each
sub-interval's increase, and they add up to the window's (counter resets included). Windows
are aligned to the settings' ``step`` (the scrape interval), so with samples on that grid the
increases are exact: no extrapolation happens when a range starts and ends on a sample.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autoopt.metrics.promhttp import PromClient

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Key = tuple[str, ...]


def epoch(moment: datetime) -> float:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (utc - _EPOCH).total_seconds()


def moment(seconds: float) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Grid:
    """``k`` sub-intervals ``(end − (k−j)·Δ, end − (k−j−1)·Δ]``, j = 0..k−1 (seconds)."""

    end: float
    delta: float
    k: int

    @property
    def start(self) -> float:
        return self.end - self.k * self.delta

    def times(self) -> NDArray[np.float64]:
        """The evaluation time of each sub-interval (its end)."""
        return self.start + self.delta * np.arange(1, self.k + 1, dtype="float64")

    @classmethod
    def over(cls, start: float, end: float, step: float, most: int = 60) -> Grid:
        """The window ``[start, end)`` aligned down to ``step`` and cut into at most
        ``most`` sub-intervals of a whole number of steps (the start moves later by less
        than one sub-interval so that they fit exactly)."""
        end_al = math.floor(end / step) * step
        start_al = math.floor(start / step) * step
        steps = max(round((end_al - start_al) / step), 1)
        per = max(math.ceil(steps / most), 1)
        k = max(steps // per, 1)
        return cls(end_al, per * step, k)


@dataclass
class Oddities:
    """What an answer held that cannot be used, counted per metric, for one line each."""

    nonfinite: Counter[str] = field(default_factory=Counter)  # metric → NaN/Inf points
    unlabelled: Counter[str] = field(default_factory=Counter)  # metric → series w/o a label
    labels: dict[str, str] = field(default_factory=dict)  # metric → the label missing

    def lines(self) -> list[str]:
        out = [
            f"{metric}: {count} NaN/Inf value(s) left out (empty or broken windows)"
            for metric, count in sorted(self.nonfinite.items())
        ]
        out += [
            f"{metric}: {count} series without a {self.labels[metric]!r} label left out "
            "(check the layout's label names)"
            for metric, count in sorted(self.unlabelled.items())
        ]
        return out


def _key(metric: dict[str, str], labels: Sequence[str]) -> Key | None:
    values = tuple(metric.get(label, "") for label in labels)
    return None if any(v == "" for v in values[:2]) else values


def matrix(
    client: PromClient,
    query: str,
    grid: Grid,
    labels: Sequence[str],
    name: str,
    odd: Oddities,
) -> dict[Key, NDArray[np.float64]]:
    """Key (label values) → the increase in each sub-interval (0 where none came back)."""
    result = client.query_range(query, grid.times()[0], grid.end, grid.delta)
    out: dict[Key, NDArray[np.float64]] = {}
    for series in result:
        key = _key(series.get("metric", {}), labels)
        if key is None:
            odd.unlabelled[name] += 1
            odd.labels[name] = labels[1] if series.get("metric", {}).get(labels[0]) else labels[0]
            continue
        values = out.setdefault(key, np.zeros(grid.k))
        for stamp, text in series.get("values", []):
            index = round((float(stamp) - grid.start) / grid.delta) - 1
            value = float(text)
            if not math.isfinite(value):
                odd.nonfinite[name] += 1
            elif 0 <= index < grid.k:
                values[index] += value
    return out


def vector(
    client: PromClient,
    query: str,
    at: float,
    labels: Sequence[str],
    name: str,
    odd: Oddities,
) -> dict[Key, float]:
    """Key → the value of an instant query at ``at``."""
    out: dict[Key, float] = {}
    for series in client.query(query, at):
        key = _key(series.get("metric", {}), labels)
        if key is None:
            odd.unlabelled[name] += 1
            odd.labels[name] = labels[1] if series.get("metric", {}).get(labels[0]) else labels[0]
            continue
        value = float(series.get("value", [0, "NaN"])[1])
        if not math.isfinite(value):
            odd.nonfinite[name] += 1
            continue
        out[key] = out.get(key, 0.0) + value
    return out


def totals(data: dict[Key, NDArray[np.float64]], width: int = 2) -> dict[Key, NDArray[Any]]:
    """Arrays summed over the key parts after ``width`` (e.g. over models)."""
    out: dict[Key, NDArray[Any]] = {}
    for key, values in data.items():
        short = key[:width]
        out[short] = out[short] + values if short in out else values.copy()
    return out
