"""Vectorised sampling of the scenario's distributions."""

# Heavy imports at module level are fine here: `simulator` is imported only by the
# commands that need it, never by `autoopt --help`.
# ruff: noqa: TID253

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from simulator.scenario import Beta, Constant, Distribution, Empirical, Exponential, LogNormal

Floats = npt.NDArray[np.float64]


def sample(dist: Distribution, n: int, rng: np.random.Generator) -> Floats:
    """``n`` draws of ``dist`` as float64 (normal is clipped at 0; beta is scaled to 0–100)."""
    if isinstance(dist, Constant):
        return np.full(n, dist.value, dtype=np.float64)
    if isinstance(dist, LogNormal):
        return rng.lognormal(np.log(dist.median), dist.sigma, n)
    if isinstance(dist, Exponential):
        return rng.exponential(dist.mean, n)
    if isinstance(dist, Beta):
        return 100.0 * rng.beta(dist.a, dist.b, n)
    if isinstance(dist, Empirical):
        values = np.asarray(dist.values, dtype=np.float64)
        return values[rng.integers(0, values.size, n)]
    return np.maximum(rng.normal(dist.mean, dist.sd, n), 0.0)


def sample_tokens(dist: Distribution, n: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Token counts: draws rounded to integers, at least 1."""
    x = sample(dist, n, rng)
    np.rint(x, out=x)
    np.maximum(x, 1.0, out=x)
    return x.astype(np.int64)


def mean_of(dist: Distribution) -> float:
    """The distribution's mean (normal ignores the clipping)."""
    if isinstance(dist, Constant):
        return dist.value
    if isinstance(dist, LogNormal):
        return float(dist.median * np.exp(dist.sigma**2 / 2))
    if isinstance(dist, Exponential):
        return dist.mean
    if isinstance(dist, Beta):
        return 100.0 * dist.a / (dist.a + dist.b)
    if isinstance(dist, Empirical):
        return float(np.mean(dist.values))
    return dist.mean
