"""The post-promotion watch: its false-rollback rate over thousands of seeded healthy
promotions, looked at every minute, and how fast it catches regressions of the trigger size.

The trials are vectorised: each is a baseline (the previous version over the 30 minutes
before the promotion) and the new version's requests minute by minute, drawn from their
sufficient statistics with the exact laws (Poisson arrivals, binomial errors, the Beta law of
the mass above the baseline's p95, normal sums of quality scores).
"""

from __future__ import annotations

import numpy as np
import pytest

from autoopt.analyze.watch import Side, WatchSettings, mixture_boundary, rolls_back

TRIALS = 4000
MINUTES = 30
TINY = 1e-12  # a trigger this small leaves only the statistical boundary to cross


def _wilson_high(k: int, n: int) -> float:
    z, p = 1.959963984540054, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    return centre + z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def _trials(
    rng: np.random.Generator,
    *,
    rate: float,
    errors: tuple[float, float],
    quality: tuple[float, float],
    slow_after: float | None = None,
    p95_ratio: float = 1.0,
    settings: WatchSettings,
) -> np.ndarray:
    """Per trial: the first minute (1-based) at which the watch rolled back, 0 for never."""
    nb = rng.poisson(rate * 1800, TRIALS)
    eb = rng.binomial(nb, errors[0])
    qn_b = rng.binomial(nb, 0.2)
    qb = rng.normal(quality[0], 6.0 / np.sqrt(np.maximum(qn_b, 1)))  # the baseline's mean
    k = np.ceil(nb * 0.95)
    above = rng.beta(nb - k + 1, k)  # the true share of requests slower than the baseline p95
    before = Side(nb, eb, np.ones(TRIALS), 0, (qn_b, qb, np.full(TRIALS, 36.0)))
    n = e = s = qn = 0
    qsum = np.zeros(TRIALS)
    first = np.zeros(TRIALS, dtype=int)
    for minute in range(1, MINUTES + 1):
        step = rng.poisson(rate * 60, TRIALS)
        n = n + step
        e = e + rng.binomial(step, errors[1])
        s = s + rng.binomial(step, above if slow_after is None else slow_after)
        q = rng.binomial(step, 0.2)
        qn = qn + q
        qsum = qsum + rng.normal(quality[1] * q, 6.0 * np.sqrt(q))
        after = Side(
            n,
            e,
            np.full(TRIALS, p95_ratio),
            s,
            (qn, qsum / np.maximum(qn, 1), np.full(TRIALS, 36.0)),
        )
        hit = rolls_back(before, after, settings) & (first == 0)
        first[hit] = minute
    return first


HEALTHY = WatchSettings(
    alpha=0.05, triggers={"error_rate": TINY, "latency_p95": TINY, "quality": TINY}
)


@pytest.mark.parametrize("rate", [1.0, 5.0])
def test_healthy_promotions_are_rolled_back_at_most_alpha_of_the_time(rate: float) -> None:
    """4,000 healthy promotions per rate, a look every minute for 30 minutes, and the
    statistical boundary alone (the half-trigger rule switched off): false rollbacks ≤ α."""
    rng = np.random.default_rng(int(rate * 10))
    first = _trials(
        rng,
        rate=rate,
        errors=(0.02, 0.02),
        quality=(88.0, 88.0),
        p95_ratio=1.0 + 1e-9,
        settings=HEALTHY,
    )
    false = int((first > 0).sum())
    assert _wilson_high(false, TRIALS) <= HEALTHY.alpha, false


def test_the_balanced_triggers_catch_regressions_of_their_size() -> None:
    """+5 points of errors, or quality −10%, at 5 req/s: rolled back within the window in
    ≥ 95% of trials, most within minutes."""
    settings = WatchSettings(
        alpha=0.05, triggers={"error_rate": 0.05, "latency_p95": 0.2, "quality": 0.1}
    )
    rng = np.random.default_rng(3)
    errors = _trials(rng, rate=5.0, errors=(0.02, 0.07), quality=(88.0, 88.0), settings=settings)
    worse = _trials(rng, rate=5.0, errors=(0.02, 0.02), quality=(88.0, 79.2), settings=settings)
    slower = _trials(
        rng,
        rate=5.0,
        errors=(0.02, 0.02),
        quality=(88.0, 88.0),
        slow_after=0.12,
        p95_ratio=1.2,
        settings=settings,
    )
    for first in (errors, worse, slower):
        assert (first > 0).mean() >= 0.95
        assert np.median(first[first > 0]) <= 10


def test_a_small_regression_with_lots_of_data_is_not_rolled_back() -> None:
    """+1 point of errors against a 5-point trigger: significant, but under half the trigger."""
    settings = WatchSettings(alpha=0.05, triggers={"error_rate": 0.05})
    before, after = Side(200_000, 4_000), Side(200_000, 6_000)
    assert not rolls_back(before, after, settings)
    assert rolls_back(before, Side(200_000, 10_000), settings)


def test_no_rollback_before_the_minimum_sample() -> None:
    settings = WatchSettings(alpha=0.05, triggers={"error_rate": 0.05}, min_sample=100)
    assert not rolls_back(Side(5000, 100), Side(60, 50), settings)
    assert rolls_back(Side(5000, 100), Side(120, 100), settings)


def test_the_mixture_boundary_holds_for_every_n_at_once() -> None:
    """Gaussian walks of 5,000 steps: P(ever above the boundary) ≤ α (simulated)."""
    rng = np.random.default_rng(8)
    walks = np.cumsum(rng.normal(size=(2000, 5_000)).astype("float32"), axis=1)
    bound = mixture_boundary(np.arange(1, 5_001), rho=500.0, alpha=0.05)
    crossed = (walks > bound).any(axis=1).mean()
    assert crossed <= 0.05
    assert crossed > 0.002  # and it is not absurdly loose
