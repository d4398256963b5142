"""The values analysis works on: series of per-bucket summaries and samples of requests.

Times are epoch seconds (UTC) of each bucket's start; every array of one series has the same
length. Arrays are read-only once built, so the frozen dataclasses are really frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from autoopt.analyze.significance import Moments

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def frozen(values: object, dtype: str = "float64") -> NDArray[np.float64]:
    """A read-only float array copy of ``values``."""
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Series:
    """One metric per time bucket: value, requests behind it, and its standard error."""

    name: str
    times: FloatArray
    values: FloatArray
    n: IntArray
    step: float  # bucket width in seconds
    se: FloatArray | None = None

    @classmethod
    def build(
        cls,
        name: str,
        times: object,
        values: object,
        n: object,
        step: float,
        se: object | None = None,
    ) -> Series:
        t, v = frozen(times), frozen(values)
        counts = np.array(n, dtype="int64")
        counts.setflags(write=False)
        errors = frozen(se) if se is not None else None
        if not (t.shape == v.shape == counts.shape) or (
            errors is not None and errors.shape != t.shape
        ):
            raise ValueError(f"series {name}: times, values, n (and se) differ in length")
        return cls(name, t, v, counts, float(step), errors)

    def __len__(self) -> int:
        return int(self.times.size)

    def since(self, start: float) -> Series:
        """The points at or after ``start``."""
        keep = self.times >= start
        se = self.se[keep] if self.se is not None else None
        return Series.build(
            self.name, self.times[keep], self.values[keep], self.n[keep], self.step, se
        )


@dataclass(frozen=True, eq=False)
class Sample:
    """The requests of one stretch of time, as a baseline comparison reads them.

    ``latencies_ms`` are every request's latency (errors included, as in the summaries);
    ``means`` the metrics compared by their means (``cost_per_request``, ``quality``,
    ``tokens_in_mean``, ``tokens_out_mean``) as count/mean/variance.
    """

    label: str
    start: float
    end: float
    n: int
    errors: int
    latencies_ms: FloatArray
    means: Mapping[str, Moments] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def error_rate(self) -> float:
        return self.errors / self.n if self.n else float("nan")
